package fake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"time"
)

// ErrDropped is the error of a response whose connection the server dropped (a drop
// answer, a drop step or ending, Conn.Drop, or a handler that panicked): the in-memory
// transport fails the response or its body with an error wrapping it, which is a network
// error for the client. It wraps io.ErrUnexpectedEOF.
var ErrDropped = fmt.Errorf("fake: the connection was dropped: %w", io.ErrUnexpectedEOF)

// A Sink receives one response, as a handler writes it through a ResponseWriter: Head
// once, then a Chunk per flush, then End once. Its methods are called by one goroutine
// at a time, in that order, and must not block.
type Sink interface {
	// Head receives the status and the header (a copy the sink may keep).
	Head(status int, header http.Header)
	// Chunk receives the bytes written since the previous flush (never empty; b is the
	// sink's to keep). It returns an error when the consumer went away. When the
	// consumer is behind, it returns a channel that is closed once it has room again, or
	// that yields an error when the consumer goes away meanwhile: the writer waits for
	// it before the flush returns (at most until the write deadline), which is how a
	// client that does not read holds the server up.
	Chunk(b []byte) (wait <-chan error, err error)
	// End receives nil when the response ended cleanly, an error wrapping ErrDropped when
	// the connection was dropped.
	End(err error)
}

// ResponseWriter is an in-memory http.ResponseWriter for handlers that stream: each
// Flush hands what was written since the previous one to its Sink as one chunk, so a
// consumer sees the chunk boundaries the handler chose. It implements http.Flusher,
// FlushError and SetWriteDeadline (for http.ResponseController): a flush waiting for a
// consumer that does not read fails at the deadline with os.ErrDeadlineExceeded.
//
// Like net/http's, it sends the head (the status and the header as they are then) at
// the first WriteHeader, Write or Flush; WriteHeader with a status below 200 is
// ignored. It is safe for concurrent use. After Finish every write fails with
// ErrFinished.
type ResponseWriter struct {
	header http.Header

	// out serialises the calls to the sink and is held while a flush waits for the
	// consumer; mu guards the fields below and is never held while waiting. Lock
	// order: out, then mu.
	out  sync.Mutex
	sink Sink

	mu        sync.Mutex
	status    int // 0 until the head is sent
	pending   bytes.Buffer
	deadline  time.Time
	dlChanged chan struct{} // closed and replaced when deadline changes
	finished  bool
	noBody    bool // a HEAD request, or a status without a body
}

// ErrFinished is returned by writes to a ResponseWriter after its handler returned.
var ErrFinished = errors.New("fake: write after the handler returned")

// NewResponseWriter returns a writer that hands the response to sink.
func NewResponseWriter(sink Sink) *ResponseWriter {
	return &ResponseWriter{header: make(http.Header), sink: sink, dlChanged: make(chan struct{})}
}

// Header returns the header map that the head will carry.
func (w *ResponseWriter) Header() http.Header { return w.header }

// WriteHeader sends the head with status, once; later calls are ignored, as are
// statuses below 200 (informational responses). It panics on a status that
// net/http's writer panics on (below 100 or above 999).
func (w *ResponseWriter) WriteHeader(status int) {
	if status < 100 || status > 999 {
		panic("fake: invalid WriteHeader code " + strconv.Itoa(status))
	}
	if status < 200 {
		return
	}
	w.out.Lock()
	defer w.out.Unlock()
	w.head(status)
}

// head sends the head once; w.out is held.
func (w *ResponseWriter) head(status int) {
	w.mu.Lock()
	if w.status != 0 || w.finished {
		w.mu.Unlock()
		return
	}
	w.status = status
	w.noBody = w.noBody || status == http.StatusNoContent || status == http.StatusNotModified
	h := w.header.Clone()
	w.mu.Unlock()
	w.sink.Head(status, h)
}

// Write buffers b for the next flush, sending the head (200) first if needed.
func (w *ResponseWriter) Write(b []byte) (int, error) {
	w.out.Lock()
	defer w.out.Unlock()
	w.head(http.StatusOK)
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.finished:
		return 0, ErrFinished
	case w.noBody:
		return 0, http.ErrBodyNotAllowed
	}
	return w.pending.Write(b)
}

// Flush sends the head if needed and hands the buffered bytes to the sink as a chunk.
func (w *ResponseWriter) Flush() { _ = w.FlushError() }

// FlushError is Flush, returning the sink's error, or os.ErrDeadlineExceeded when the
// consumer did not take the chunk by the write deadline.
func (w *ResponseWriter) FlushError() error {
	w.out.Lock()
	defer w.out.Unlock()
	w.head(http.StatusOK)
	return w.flush()
}

// flush hands the pending bytes to the sink and waits for the consumer; w.out is held.
func (w *ResponseWriter) flush() error {
	w.mu.Lock()
	if w.finished {
		w.mu.Unlock()
		return ErrFinished
	}
	if w.pending.Len() == 0 {
		w.mu.Unlock()
		return nil
	}
	b := bytes.Clone(w.pending.Bytes())
	w.pending.Reset()
	w.mu.Unlock()
	wait, err := w.sink.Chunk(b)
	if err != nil || wait == nil {
		return err
	}
	for {
		w.mu.Lock()
		deadline, changed := w.deadline, w.dlChanged
		w.mu.Unlock()
		if done, err := waitRoom(wait, changed, deadline); done {
			return err
		}
	}
}

// waitRoom waits for the consumer (wait), at most until deadline (zero: none), or until
// the deadline changes (done false).
func waitRoom(wait <-chan error, changed <-chan struct{}, deadline time.Time) (done bool, err error) {
	var expired <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			return true, os.ErrDeadlineExceeded
		}
		t := time.NewTimer(d)
		defer t.Stop()
		expired = t.C
	}
	select {
	case err := <-wait:
		return true, err
	case <-expired:
		return true, os.ErrDeadlineExceeded
	case <-changed:
		return false, nil
	}
}

// SetWriteDeadline sets the deadline of flushes (zero: none); it also applies to a
// flush that is waiting.
func (w *ResponseWriter) SetWriteDeadline(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.deadline = t
	close(w.dlChanged)
	w.dlChanged = make(chan struct{})
	return nil
}

// Buffered returns a copy of what was written since the last flush.
func (w *ResponseWriter) Buffered() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.pending.Bytes())
}

// Status returns the status of the head, 0 before it is sent.
func (w *ResponseWriter) Status() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

// Finish ends the response: after a clean end (err nil) the head (200 if none was
// written) and the buffered bytes are sent, then End(nil); with an error (a dropped
// connection) the buffered bytes are discarded and End gets err. Later calls do
// nothing.
func (w *ResponseWriter) Finish(err error) {
	w.out.Lock()
	defer w.out.Unlock()
	if err == nil {
		w.head(http.StatusOK)
		_ = w.flush()
	}
	w.mu.Lock()
	if w.finished {
		w.mu.Unlock()
		return
	}
	w.finished = true
	w.mu.Unlock()
	w.sink.End(err)
}

// Serve runs h.ServeHTTP(w, r) for a writer on sink in the calling goroutine and
// finishes the response when it returns. A panic with http.ErrAbortHandler (a drop)
// ends the response with ErrDropped; any other panic too, after logging it to logger
// (nil: slog.Default()), as net/http does: the process never crashes.
func Serve(h http.Handler, r *http.Request, sink Sink, logger *slog.Logger) {
	w := NewResponseWriter(sink)
	if r.Method == http.MethodHead {
		w.noBody = true
	}
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler { //nolint:errorlint // net/http compares the same way
				if logger == nil {
					logger = slog.Default()
				}
				logger.LogAttrs(context.Background(), slog.LevelError, "fake: handler panicked",
					slog.String("method", r.Method), slog.String("url", r.URL.String()),
					slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			}
			w.Finish(ErrDropped)
			return
		}
		w.Finish(nil)
	}()
	h.ServeHTTP(w, r)
}
