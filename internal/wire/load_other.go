//go:build !wasm

package wire

// load64 returns the first 8 bytes of b (len(b) >= 8) as a little-endian uint64. The
// compiler turns this into one load where the hardware allows unaligned loads (amd64,
// arm64, ...).
func load64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}
