package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

// leakedStacks returns the stacks of goroutines running code of package server.
func leakedStacks() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var leaked []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/polysse/sse/server.") {
			leaked = append(leaked, g)
		}
	}
	return strings.Join(leaked, "\n\n")
}

// TestMain fails the package when a goroutine of package server outlives all tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		var stacks string
		for range 200 { // up to 2 s for goroutines that are already ending
			if stacks = leakedStacks(); stacks == "" {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if stacks != "" {
			os.Stderr.WriteString("leaked goroutines after all tests:\n" + stacks + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

// recorder is an in-memory http.ResponseWriter and http.Flusher that records what each
// Flush delivered and when: what a client would have received. It lets tests drive the
// handler inside a testing/synctest bubble, where real sockets cannot be used.
type recorder struct {
	mu      sync.Mutex
	header  http.Header
	status  int
	pending bytes.Buffer
	flushes []flush
	flushed chan struct{} // receives after every Flush, without blocking
}

type flush struct {
	at   time.Time
	data string
}

func newRecorder() *recorder {
	return &recorder{header: make(http.Header), flushed: make(chan struct{}, 1)}
}

func (r *recorder) Header() http.Header { return r.header }

// SetWriteDeadline accepts every deadline (writes to memory never time out).
func (r *recorder) SetWriteDeadline(time.Time) error { return nil }

func (r *recorder) WriteHeader(code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pending.Write(b)
}

func (r *recorder) Flush() {
	r.WriteHeader(http.StatusOK)
	r.mu.Lock()
	r.flushes = append(r.flushes, flush{at: time.Now(), data: r.pending.String()})
	r.pending.Reset()
	r.mu.Unlock()
	select {
	case r.flushed <- struct{}{}:
	default:
	}
}

// Flushes returns the flushes so far.
func (r *recorder) Flushes() []flush {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]flush(nil), r.flushes...)
}

// Body returns everything written so far.
func (r *recorder) Body() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, f := range r.flushes {
		b.WriteString(f.data)
	}
	b.WriteString(r.pending.String())
	return b.String()
}

// Status returns the response status, 0 before any.
func (r *recorder) Status() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// serveAsync runs h.ServeHTTP for a GET of target with header in a new goroutine and
// returns the recorder, a function cancelling the request (the client going away) and a
// channel closed when ServeHTTP returned.
func serveAsync(h http.Handler, target string, header map[string]string) (*recorder, context.CancelFunc, <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest(http.MethodGet, target, nil).WithContext(ctx)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := newRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(rec, req)
	}()
	return rec, cancel, done
}

// syncBuffer is a concurrency-safe buffer for log output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testLogger returns a logger writing text to a buffer that the test can read.
func testLogger() (*slog.Logger, *syncBuffer) {
	buf := new(syncBuffer)
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// readAll reads r to its end.
func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return string(b)
}

// mustPublish publishes ev to topic and fails the test on error.
func mustPublish(t testing.TB, srv *server.Server, topic string, ev sse.Event) string {
	t.Helper()
	id, err := srv.Publish(context.Background(), topic, ev)
	require.NoError(t, err)
	return id
}

func mustAtoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}
