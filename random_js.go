package sse

import (
	"errors"
	"syscall/js"
)

var errNoCrypto = errors.New("sse: crypto.getRandomValues is not available")

// randomBytes fills b from the JavaScript host's cryptographic random source
// (crypto.getRandomValues), which crypto/rand would reach through a much larger runtime.
func randomBytes(b []byte) (err error) {
	defer func() {
		if recover() != nil {
			err = errNoCrypto
		}
	}()
	crypto := js.Global().Get("crypto")
	if crypto.Type() != js.TypeObject {
		return errNoCrypto
	}
	a := js.Global().Get("Uint8Array").New(len(b))
	crypto.Call("getRandomValues", a)
	js.CopyBytesToGo(b, a)
	return nil
}
