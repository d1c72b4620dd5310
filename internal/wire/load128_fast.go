//go:build wasm || (wireswar && (amd64 || arm64))

package wire

import "unsafe"

// load128 returns b[i:i+8] and b[i+8:i+16] as load64 does (i+16 <= len(b)), with one
// bounds check for both: the js/wasm scanner's step.
func load128(b []byte, i int) (uint64, uint64) {
	_ = b[i+15]
	p := unsafe.Add(unsafe.Pointer(unsafe.SliceData(b)), i)
	return *(*uint64)(p), *(*uint64)(unsafe.Add(p, 8))
}
