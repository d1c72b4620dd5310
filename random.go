//go:build !js

package sse

import "crypto/rand"

// randomBytes fills b from the operating system's cryptographic random source.
func randomBytes(b []byte) error {
	_, err := rand.Read(b)
	return err
}
