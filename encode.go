package sse

import (
	"io"
	"strconv"

	"github.com/polysse/sse/internal/wire"
)

// maxRetainedBuffer is the largest scratch buffer an Encoder keeps between events; a larger
// one, grown for an unusually big event, is dropped so that one event cannot pin memory.
const maxRetainedBuffer = 1 << 20

// AppendTo appends the wire form of e to dst and returns the extended slice.
//
// The frame holds, in order: one ": " line per line of Comment, "retry:" when Retry is
// positive, "id:" when ID is not empty, "event:" when Type is not empty, one "data:" line
// per line of Data (LF, CR and CRLF all end a line) when Data or Type is not empty, and
// the blank line that makes a client dispatch the event when ID, Type or Data is not empty.
// An event with only a Comment or Retry is written without that blank line.
//
// A client receives Data with every line end turned into LF: the stream cannot tell them
// apart. An event whose Data is empty but whose Type is set is written with one empty
// data line, so that clients dispatch it.
//
// AppendTo returns dst unchanged and a *FieldError when e fails Validate.
func (e *Event) AppendTo(dst []byte) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return dst, err
	}
	if e.Comment != "" {
		dst = appendComment(dst, e.Comment)
	}
	if e.Retry > 0 {
		dst = append(dst, "retry: "...)
		dst = strconv.AppendInt(dst, max(e.Retry.Milliseconds(), 1), 10) // never 0 for a positive Retry
		dst = append(dst, '\n')
	}
	if e.ID != "" {
		dst = append(dst, "id: "...)
		dst = append(dst, e.ID...)
		dst = append(dst, '\n')
	}
	if e.Type != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, e.Type...)
		dst = append(dst, '\n')
	}
	if e.Data != "" || e.Type != "" {
		dst = appendLines(dst, "data: ", e.Data)
	}
	if e.ID != "" || e.Type != "" || e.Data != "" {
		dst = append(dst, '\n')
	}
	return dst, nil
}

// AppendComment appends a comment to dst: one ": " line per line of text, or a single
// ":" line when text is empty (the shortest heartbeat). Comments never dispatch an event.
func AppendComment(dst []byte, text string) []byte {
	if text == "" {
		return append(dst, ":\n"...)
	}
	return appendComment(dst, text)
}

func appendComment(dst []byte, text string) []byte {
	return appendLines(dst, ": ", text)
}

// appendLines writes prefix+line+"\n" for every line of text, where LF, CR and CRLF all
// end a line. A text that ends with a line end yields a final empty line, so that the
// receiver reconstructs it exactly (with LF).
func appendLines(dst []byte, prefix, text string) []byte {
	for {
		i := wire.IndexLineEnd(text)
		if i < 0 {
			dst = append(dst, prefix...)
			dst = append(dst, text...)
			return append(dst, '\n')
		}
		dst = append(dst, prefix...)
		dst = append(dst, text[:i]...)
		dst = append(dst, '\n')
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			i++
		}
		text = text[i+1:]
	}
}

// Encoder writes events to an io.Writer, one Write call per event that has a wire form.
// The zero Event (every field empty) has none: encoding it writes nothing and returns
// nil, so that no empty Write reaches the writer (an http.ResponseWriter would commit its
// headers for it).
//
// An Encoder is not safe for concurrent use. It reuses one scratch buffer, so encoding
// does not allocate in steady state. It does not flush: wrap the writer, or flush after
// Encode, when the writer buffers (an http.ResponseWriter does).
type Encoder struct {
	w   io.Writer
	buf []byte
}

// NewEncoder returns an Encoder that writes to w.
func NewEncoder(w io.Writer) *Encoder {
	return &Encoder{w: w}
}

// Encode writes the wire form of ev (see Event.AppendTo) in one Write call. An invalid
// event returns a *FieldError and writes nothing; an event without a wire form (the zero
// Event) writes nothing and returns nil; a write error is returned as is.
func (enc *Encoder) Encode(ev *Event) error {
	b, err := ev.AppendTo(enc.buf[:0])
	if err != nil {
		return err
	}
	return enc.write(b)
}

// Comment writes a comment (see AppendComment).
func (enc *Encoder) Comment(text string) error {
	return enc.write(AppendComment(enc.buf[:0], text))
}

func (enc *Encoder) write(b []byte) error {
	if cap(b) <= maxRetainedBuffer {
		enc.buf = b
	} else {
		enc.buf = nil
	}
	if len(b) == 0 {
		return nil // an empty Event has no wire form
	}
	_, err := enc.w.Write(b)
	return err
}
