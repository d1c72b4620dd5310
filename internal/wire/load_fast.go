//go:build amd64 || arm64 || wasm

package wire

import "unsafe"

// load64 returns b[i:i+8] as a little-endian uint64 (i+8 <= len(b)), in one load:
// these architectures are little-endian and allow unaligned loads. One bounds check,
// where slicing b[i:] first would add a pointer mask per load, and the compiler does not
// combine byte loads for WebAssembly at all.
func load64(b []byte, i int) uint64 {
	_ = b[i+7]
	return *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(b)), i))
}

// load128 returns b[i:i+8] and b[i+8:i+16] as load64 does (i+16 <= len(b)), with one
// bounds check for both.
func load128(b []byte, i int) (uint64, uint64) {
	_ = b[i+15]
	p := unsafe.Add(unsafe.Pointer(unsafe.SliceData(b)), i)
	return *(*uint64)(p), *(*uint64)(unsafe.Add(p, 8))
}
