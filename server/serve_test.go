package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

// The tests in this file drive ServeHTTP with in-memory ResponseWriters: they run on
// every platform, js/wasm included.

func TestLastEventID(t *testing.T) {
	tokenShaped := uuid.NewString()
	tests := []struct {
		name   string
		header string
		query  string
		want   string
	}{
		{name: "none"},
		{name: "plain", header: "42", want: "42"},
		{name: "utf-8", header: "é-1", want: "é-1"},
		{name: "CR LF NUL removed", header: "a\rb\nc\x00d", want: "abcd"},
		{name: "1 KiB accepted", header: strings.Repeat("x", 1024), want: strings.Repeat("x", 1024)},
		{name: "over 1 KiB ignored", header: strings.Repeat("x", 1025)},
		{name: "query parameter", query: "7", want: "7"},
		{name: "header wins over query", header: "8", query: "7", want: "8"},
		{name: "unknown token-shaped id is ordinary", header: tokenShaped, want: tokenShaped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan string, 1)
			srv := server.New(server.Options{
				LastEventIDQuery: "lastEventId",
				Stream: func(s *server.Session) {
					got <- s.LastEventID()
					s.Close()
				},
			})
			header := map[string]string{}
			if tt.header != "" {
				header["Last-Event-ID"] = tt.header
			}
			target := "/"
			if tt.query != "" {
				target += "?lastEventId=" + tt.query
			}
			rec, cancel, done := serveAsync(srv, target, header)
			defer cancel()
			<-done
			require.Equal(t, http.StatusOK, rec.Status())
			require.Equal(t, tt.want, <-got)
		})
	}
}

func TestPushAfterEnd(t *testing.T) {
	sessions := make(chan *server.Session, 1)
	srv := server.New(server.Options{Stream: func(s *server.Session) { sessions <- s; <-s.Done() }})
	rec, cancel, done := serveAsync(srv, "/", nil)
	s := <-sessions
	s.Close()
	<-done
	cancel()
	require.Equal(t, server.ReasonClosed, s.Reason())
	require.NoError(t, s.Err())
	require.ErrorIs(t, s.PushData("late"), server.ErrSessionClosed)
	require.ErrorIs(t, s.Comment("late"), server.ErrSessionClosed)
	require.ErrorIs(t, s.Complete(""), server.ErrSessionClosed)
	require.ErrorIs(t, s.Fail(""), server.ErrSessionClosed)
	s.Close() // no effect
	require.Equal(t, ": ok\n", rec.Body())
}

func TestPublishErrors(t *testing.T) {
	srv := server.New(server.Options{})
	_, err := srv.Publish(t.Context(), "t", sse.Event{Type: "a\rb"})
	require.ErrorIs(t, err, sse.ErrInvalidEvent)
	mustPublish(t, srv, "t", sse.Event{Data: "no subscribers"})
	require.NoError(t, srv.Shutdown(t.Context()))
	_, err = srv.Publish(t.Context(), "t", sse.Event{Data: "late"})
	require.ErrorIs(t, err, server.ErrServerClosed)
	require.True(t, strings.HasPrefix(err.Error(), "server: "))
}
