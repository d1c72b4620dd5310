package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/server"
)

// readBody returns what is left to read of r's body.
func readBody(t *testing.T, r *http.Request) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	return string(b)
}

// Refuse, Topics and Stream each read the whole request body.
func TestRequestBodyIsReadableEverywhere(t *testing.T) {
	var refused, topics string
	srv := server.New(server.Options{
		Refuse: func(r *http.Request) error { refused = readBody(t, r); return nil },
		Topics: func(r *http.Request) []string { topics = readBody(t, r); return []string{"t"} },
		Stream: func(s *server.Session) {
			_ = s.PushData("got " + readBody(t, s.Request()))
			s.Close()
		},
	})
	rec := newRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"q":"hello"}`)))
	require.Equal(t, ": ok\ndata: got {\"q\":\"hello\"}\n\n", rec.Body())
	require.Equal(t, `{"q":"hello"}`, refused)
	require.Equal(t, `{"q":"hello"}`, topics)
	require.NoError(t, srv.Shutdown(t.Context()))
}

func TestRequestBodyLimit(t *testing.T) {
	tests := []struct {
		name       string
		max        int64
		body       string
		wantStatus int
	}{
		{"at the limit", 5, "12345", http.StatusOK},
		{"over the limit", 5, "123456", http.StatusRequestEntityTooLarge},
		{"over the default limit", 0, strings.Repeat("x", server.DefaultMaxRequestBody+1), http.StatusRequestEntityTooLarge},
		{"at the default limit", 0, strings.Repeat("x", server.DefaultMaxRequestBody), http.StatusOK},
		{"unread", -1, strings.Repeat("x", server.DefaultMaxRequestBody+1), http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streams := 0
			srv := server.New(server.Options{MaxRequestBody: tt.max, Stream: func(s *server.Session) { streams++; s.Close() }})
			rec := newRecorder()
			srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body)))
			require.Equal(t, tt.wantStatus, rec.Status())
			if tt.wantStatus == http.StatusRequestEntityTooLarge {
				require.Contains(t, rec.Body(), "MaxRequestBody")
				require.Zero(t, streams)
			}
			require.NoError(t, srv.Shutdown(t.Context()))
		})
	}
}
