//go:build !amd64 && !arm64 && !wasm

package wire

// load64 returns b[i:i+8] as a little-endian uint64 (i+8 <= len(b)).
func load64(b []byte, i int) uint64 {
	b = b[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// load128 returns b[i:i+8] and b[i+8:i+16] as load64 does (i+16 <= len(b)).
func load128(b []byte, i int) (uint64, uint64) {
	return load64(b, i), load64(b, i+8)
}
