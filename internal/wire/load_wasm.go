package wire

import "unsafe"

// load64 returns the first 8 bytes of b (len(b) >= 8) as a little-endian uint64, in one
// load: WebAssembly allows unaligned loads, and the compiler does not combine byte loads
// for it.
func load64(b []byte) uint64 {
	_ = b[7]
	return *(*uint64)(unsafe.Pointer(unsafe.SliceData(b)))
}
