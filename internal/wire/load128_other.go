//go:build wireswar && !amd64 && !arm64 && !wasm

package wire

// load128 returns b[i:i+8] and b[i+8:i+16] as load64 does (i+16 <= len(b)).
func load128(b []byte, i int) (uint64, uint64) {
	return load64(b, i), load64(b, i+8)
}
