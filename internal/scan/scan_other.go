//go:build !wasm

package scan

import (
	"bytes"
	"strings"
)

// IndexByte returns the index of the first c in b, or -1 if there is none.
func IndexByte(b []byte, c byte) int { return bytes.IndexByte(b, c) }

// IndexByteString returns the index of the first c in s, or -1 if there is none.
func IndexByteString(s string, c byte) int { return strings.IndexByte(s, c) }
