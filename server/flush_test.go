package server_test

import (
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/server"
)

// gzipWriter is a compressing middleware's ResponseWriter without Flush or Unwrap.
type gzipWriter struct {
	http.ResponseWriter
	gz *gzip.Writer
}

func (w *gzipWriter) Write(b []byte) (int, error) { return w.gz.Write(b) }

// loggingWriter is a logging middleware's ResponseWriter without Unwrap: it hides the
// Flusher of the writer it wraps.
type loggingWriter struct {
	http.ResponseWriter
	status int
}

func (w *loggingWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

// TestWriterThatCannotFlush serves through middleware that makes streaming impossible:
// the server must find out before the headers are committed and answer 500 with a
// message that names the cause and the fix (a spec client then stops, instead of
// reconnecting for ever to empty 200s), and log it once per cause, not per request.
func TestWriterThatCannotFlush(t *testing.T) {
	tests := []struct {
		name    string
		wrap    func(http.Handler) http.Handler
		wantMsg []string
	}{
		{
			name:    "http.TimeoutHandler",
			wrap:    func(h http.Handler) http.Handler { return http.TimeoutHandler(h, time.Minute, "timeout") },
			wantMsg: []string{"*http.timeoutWriter", "http.TimeoutHandler buffers the whole response", "WriteTimeout"},
		},
		{
			name: "gzip without Flush",
			wrap: func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Encoding", "gzip")
					gz := gzip.NewWriter(w)
					defer gz.Close()
					h.ServeHTTP(&gzipWriter{ResponseWriter: w, gz: gz}, r)
				})
			},
			wantMsg: []string{"*server_test.gzipWriter", "Unwrap() http.ResponseWriter", "compressing middleware must flush"},
		},
		{
			name: "logging without Unwrap",
			wrap: func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					h.ServeHTTP(&loggingWriter{ResponseWriter: w}, r)
				})
			},
			wantMsg: []string{"*server_test.loggingWriter", "Unwrap() http.ResponseWriter"},
		},
		{
			name: "Unwrap to a writer that cannot flush",
			wrap: func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					h.ServeHTTP(&unwrapper{wrapper{w: &loggingWriter{ResponseWriter: w}}}, r)
				})
			},
			wantMsg: []string{"*server_test.unwrapper → *server_test.loggingWriter"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, logs := testLogger()
			streams := 0
			srv := server.New(server.Options{Logger: log, Stream: func(*server.Session) { streams++ }})
			h := tt.wrap(srv)
			for range 3 {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
				body := rec.Body.String()
				if rec.Header().Get("Content-Encoding") == "gzip" {
					zr, err := gzip.NewReader(rec.Body)
					require.NoError(t, err)
					body = readAll(t, zr)
				}
				for _, want := range tt.wantMsg {
					require.Contains(t, body, want)
				}
				require.Equal(t, http.StatusInternalServerError, rec.Code)
				require.NotEqual(t, "text/event-stream", rec.Header().Get("Content-Type"))
			}
			require.Zero(t, streams, "no session may start")
			require.Equal(t, 0, srv.Sessions())
			require.Equal(t, 1, strings.Count(logs.String(), "cannot flush"), "logged once per cause:\n%s", logs)
			for _, want := range tt.wantMsg {
				require.Contains(t, logs.String(), want)
			}
		})
	}
}

// wrapper is middleware's ResponseWriter that hides Flush; unwrapper adds Unwrap.
type wrapper struct {
	w http.ResponseWriter
}

func (w *wrapper) Header() http.Header         { return w.w.Header() }
func (w *wrapper) Write(b []byte) (int, error) { return w.w.Write(b) }
func (w *wrapper) WriteHeader(code int)        { w.w.WriteHeader(code) }

type unwrapper struct{ wrapper }

func (w *unwrapper) Unwrap() http.ResponseWriter { return w.w }

// A writer that unwraps to a Flusher streams.
func TestFlusherFoundThroughUnwrap(t *testing.T) {
	srv := server.New(server.Options{Stream: func(s *server.Session) { _ = s.PushData("through"); s.Close() }})
	rec := newRecorder()
	srv.ServeHTTP(&unwrapper{wrapper{w: rec}}, httptest.NewRequest(http.MethodGet, "/", nil))
	require.Equal(t, http.StatusOK, rec.Status())
	require.Equal(t, ": ok\ndata: through\n\n", rec.Body())
	require.NoError(t, srv.Shutdown(t.Context()))
}
