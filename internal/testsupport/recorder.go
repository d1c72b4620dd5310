package testsupport

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/polysse/sse/internal/fake"
)

// Recorder is an in-memory http.ResponseWriter (the fake's fake.ResponseWriter: Flusher,
// FlushError, SetWriteDeadline) that records the head and each flush with the time it
// happened: what a client would have received, in the chunks it would have received
// them. Tests drive handlers with it directly, inside a testing/synctest bubble where
// sockets cannot be used. Its sink never makes a flush wait.
type Recorder struct {
	*fake.ResponseWriter
	sink *recordSink
}

// Flush is one chunk a Recorder received.
type Flush struct {
	At   time.Time
	Data string
}

// NewRecorder returns a Recorder.
func NewRecorder() *Recorder {
	s := &recordSink{flushed: make(chan struct{}, 1), ended: make(chan struct{})}
	return &Recorder{ResponseWriter: fake.NewResponseWriter(s), sink: s}
}

type recordSink struct {
	mu      sync.Mutex
	status  int
	header  http.Header
	flushes []Flush
	endErr  error
	flushed chan struct{} // receives after every flush, without blocking
	ended   chan struct{}
	stall   context.Context // not nil: a client that reads nothing after the first flush
}

// errGone is the error of a flush to a stalled client that went away.
var errGone = errors.New("testsupport: the client went away")

func (s *recordSink) Head(status int, h http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.header = status, h
}

func (s *recordSink) Chunk(b []byte) (<-chan error, error) {
	s.mu.Lock()
	first := len(s.flushes) == 0
	s.flushes = append(s.flushes, Flush{At: time.Now(), Data: string(b)})
	s.mu.Unlock()
	if s.stall != nil && !first {
		if s.stall.Err() != nil {
			return nil, errGone
		}
		wait := make(chan error, 1) // never room; an error once the client goes away
		context.AfterFunc(s.stall, func() { wait <- errGone })
		return wait, nil
	}
	select {
	case s.flushed <- struct{}{}:
	default:
	}
	return nil, nil
}

func (s *recordSink) End(err error) {
	s.mu.Lock()
	s.endErr = err
	s.mu.Unlock()
	close(s.ended)
}

// Flushes returns the chunks flushed so far.
func (r *Recorder) Flushes() []Flush {
	r.sink.mu.Lock()
	defer r.sink.mu.Unlock()
	return append([]Flush(nil), r.sink.flushes...)
}

// Chunks returns the data of the chunks flushed so far.
func (r *Recorder) Chunks() []string {
	var out []string
	for _, f := range r.Flushes() {
		out = append(out, f.Data)
	}
	return out
}

// Body returns everything written so far, flushed or not.
func (r *Recorder) Body() string {
	var b strings.Builder
	for _, f := range r.Flushes() {
		b.WriteString(f.Data)
	}
	b.Write(r.Buffered())
	return b.String()
}

// Flushed returns a channel that receives after each flush (it holds at most one
// value: a receive means "at least one flush since the last receive").
func (r *Recorder) Flushed() <-chan struct{} { return r.sink.flushed }

// SentHeader returns the header as sent with the head (nil before it).
func (r *Recorder) SentHeader() http.Header {
	r.sink.mu.Lock()
	defer r.sink.mu.Unlock()
	return r.sink.header
}

// NewStalledRecorder returns a Recorder of a client that stopped reading: it takes the
// first flush (the head and the preamble); every later flush waits, as on a socket whose
// buffers are full, until its write deadline passes (then it fails with
// os.ErrDeadlineExceeded, as a net.Conn does); once ctx is done (the client went away),
// flushes fail at once.
func NewStalledRecorder(ctx context.Context) *Recorder {
	s := &recordSink{flushed: make(chan struct{}, 1), ended: make(chan struct{}), stall: ctx}
	return &Recorder{ResponseWriter: fake.NewResponseWriter(s), sink: s}
}
