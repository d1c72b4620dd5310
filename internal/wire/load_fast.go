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
