package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/testsupport"
	"github.com/polysse/sse/server"
)

// TestMain fails the package when a goroutine of package server outlives all tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if stacks := testsupport.WaitLeaks(nil, 2*time.Second, isServerStack); stacks != "" {
			os.Stderr.WriteString("leaked goroutines after all tests:\n" + stacks + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

// isServerStack reports whether a goroutine runs code of package server.
func isServerStack(stack string) bool {
	return strings.Contains(stack, "github.com/polysse/sse/server.")
}

// recorder is the in-memory http.ResponseWriter and http.Flusher of the tests (the
// fake's writer): it records what each Flush delivered and when, which is what a client
// would have received. It lets tests drive the handler inside a testing/synctest bubble,
// where real sockets cannot be used.
type recorder = testsupport.Recorder

func newRecorder() *recorder { return testsupport.NewRecorder() }

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
