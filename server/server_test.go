//go:build !js

package server_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/serverhook"
	"github.com/polysse/sse/server"
)

func TestStreamHeadersAndInitialComment(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			srv := server.New(server.Options{
				ReconnectionTime: 3 * time.Second,
				Header:           http.Header{"X-Extra": {"yes"}},
			})
			ts := startServer(t, srv, proto)
			s := connect(t, ts.Client(), ts.URL, nil)

			require.Equal(t, http.StatusOK, s.Resp.StatusCode)
			require.Equal(t, proto, s.Resp.Proto[:len(proto)])
			require.Equal(t, "text/event-stream", s.Resp.Header.Get("Content-Type"))
			require.Equal(t, "no-cache", s.Resp.Header.Get("Cache-Control"))
			require.Equal(t, "no", s.Resp.Header.Get("X-Accel-Buffering"))
			require.Equal(t, "15000", s.Resp.Header.Get(sse.HeaderHeartbeatInterval))
			require.Equal(t, "yes", s.Resp.Header.Get("X-Extra"))

			// Nothing but the preamble is ever written: reading it proves it was flushed.
			for _, want := range []string{": ok", "retry: 3000"} {
				line, err := s.Line()
				require.NoError(t, err)
				require.Equal(t, want, line)
			}
		})
	}
}

func TestHeartbeatHeaderDisabled(t *testing.T) {
	srv := server.New(server.Options{HeartbeatInterval: -1})
	ts := startServer(t, srv, "HTTP/1.1")
	s := connect(t, ts.Client(), ts.URL, nil)
	require.Equal(t, http.StatusOK, s.Resp.StatusCode)
	_, ok := s.Resp.Header[http.CanonicalHeaderKey(sse.HeaderHeartbeatInterval)]
	require.False(t, ok)
}

func TestSessionWrites(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			completed := make(chan error, 1)
			srv := server.New(server.Options{Stream: func(s *server.Session) {
				require.NoError(t, s.Push(sse.Event{ID: "1", Type: "greeting", Data: "hello\nworld"}))
				require.NoError(t, s.PushData("plain"))
				require.NoError(t, s.Comment("just a comment"))
				require.NoError(t, s.PushJSON(map[string]int{"n": 1}))
				require.ErrorIs(t, s.Push(sse.Event{ID: "bad\nid"}), sse.ErrInvalidEvent)
				completed <- s.Complete("")
			}})
			ts := startServer(t, srv, proto)
			s := connect(t, ts.Client(), ts.URL, nil)
			require.Equal(t, http.StatusOK, s.Resp.StatusCode)

			require.Equal(t, event{ID: "1", Type: "greeting", Data: "hello\nworld"}, s.MustNext())
			require.Equal(t, event{Data: "plain"}, s.MustNext())
			require.Equal(t, event{Data: `{"n":1}`}, s.MustNext())
			done := s.MustNext()
			require.Equal(t, sse.EventComplete, done.Type)
			require.Equal(t, "{}", done.Data)
			require.NoError(t, uuid.Validate(done.ID))
			s.RequireEOF()
			require.NoError(t, <-completed)
		})
	}
}

func TestCompletionRedeemedOnce(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			var refused atomic.Int32
			srv := server.New(server.Options{
				Refuse: func(*http.Request) error {
					refused.Add(1)
					return nil
				},
				Stream: func(s *server.Session) {
					if s.LastEventID() == "" {
						_ = s.Complete(`{"result":42}`)
						return
					}
					_ = s.PushData("ordinary reconnect")
				},
			})
			ts := startServer(t, srv, proto)
			s := connect(t, ts.Client(), ts.URL, nil)
			done := s.MustNext()
			require.Equal(t, event{Type: "complete", ID: done.ID, Data: `{"result":42}`}, done)
			s.RequireEOF()
			require.EqualValues(t, 1, refused.Load())

			// The reconnect redeems the token, before Refuse runs.
			again := connect(t, ts.Client(), ts.URL, map[string]string{"Last-Event-ID": done.ID})
			require.Equal(t, http.StatusNoContent, again.Resp.StatusCode)
			require.Equal(t, "complete", again.Resp.Header.Get(sse.HeaderOutcome))
			require.EqualValues(t, 1, refused.Load())

			// Once: the same id is now an ordinary reconnect.
			third := connect(t, ts.Client(), ts.URL, map[string]string{"Last-Event-ID": done.ID})
			require.Equal(t, http.StatusOK, third.Resp.StatusCode)
			require.Empty(t, third.Resp.Header.Get(sse.HeaderOutcome))
			require.Equal(t, event{Data: "ordinary reconnect"}, third.MustNext())
			require.EqualValues(t, 2, refused.Load())
		})
	}
}

func TestFail(t *testing.T) {
	tests := []struct {
		name        string
		fatalStatus int
		wantStatus  int
	}{
		{"default status", 0, http.StatusNoContent},
		{"configured status", http.StatusGone, http.StatusGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failed := make(chan error, 1)
			srv := server.New(server.Options{
				FatalStatus: tt.fatalStatus,
				Stream: func(s *server.Session) {
					_ = s.PushData("working")
					failed <- s.Fail(`{"error":"boom"}`)
				},
			})
			ts := startServer(t, srv, "HTTP/1.1")
			s := connect(t, ts.Client(), ts.URL, nil)
			require.Equal(t, event{Data: "working"}, s.MustNext())
			fatal := s.MustNext()
			require.Equal(t, event{Type: "fatal", ID: fatal.ID, Data: `{"error":"boom"}`}, fatal)
			s.RequireEOF()
			require.NoError(t, <-failed)

			again := connect(t, ts.Client(), ts.URL, map[string]string{"Last-Event-ID": fatal.ID})
			require.Equal(t, tt.wantStatus, again.Resp.StatusCode)
			require.Equal(t, "fatal", again.Resp.Header.Get(sse.HeaderOutcome))
		})
	}
}

// codedError is an error with a status that is not a *server.StatusError.
type codedError struct{}

func (codedError) Error() string   { return "teapot says no" }
func (codedError) StatusCode() int { return http.StatusTeapot }

func TestRefuse(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantBody   string
		wantHeader http.Header
	}{
		{name: "accepted", wantStatus: http.StatusOK},
		{name: "refused", err: &server.StatusError{Code: http.StatusNoContent, Msg: "ignored"}, wantStatus: http.StatusNoContent},
		{
			name:       "status error",
			err:        &server.StatusError{Code: http.StatusUnauthorized, Msg: "log in first", Header: http.Header{"Www-Authenticate": {"Bearer"}}},
			wantStatus: http.StatusUnauthorized, wantBody: "log in first\n",
			wantHeader: http.Header{"Www-Authenticate": {"Bearer"}},
		},
		{
			name:       "wrapped status error without message",
			err:        fmt.Errorf("auth: %w", &server.StatusError{Code: http.StatusForbidden}),
			wantStatus: http.StatusForbidden, wantBody: "Forbidden\n",
		},
		{name: "any StatusCode method", err: codedError{}, wantStatus: http.StatusTeapot, wantBody: "teapot says no\n"},
		{name: "plain error", err: errors.New("database down"), wantStatus: http.StatusInternalServerError, wantBody: "Internal Server Error\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sessions atomic.Int32
			log, logs := testLogger()
			srv := server.New(server.Options{
				Logger: log,
				Refuse: func(*http.Request) error { return tt.err },
				Stream: func(s *server.Session) {
					sessions.Add(1)
					s.Close()
				},
			})
			ts := startServer(t, srv, "HTTP/1.1")
			s := connect(t, ts.Client(), ts.URL, nil)
			require.Equal(t, tt.wantStatus, s.Resp.StatusCode)
			body := readAll(t, s.Resp.Body)
			if tt.wantStatus == http.StatusOK {
				require.Equal(t, ": ok\n", body)
				require.EqualValues(t, 1, sessions.Load())
				return
			}
			require.Equal(t, tt.wantBody, body)
			for k, v := range tt.wantHeader {
				require.Equal(t, v, s.Resp.Header[k])
			}
			require.Zero(t, sessions.Load(), "no session may start")
			if tt.wantStatus == http.StatusInternalServerError {
				require.Contains(t, logs.String(), "database down")
			}
		})
	}
}

func TestPanicInStreamIsRecovered(t *testing.T) {
	log, logs := testLogger()
	sessions := make(chan *server.Session, 2)
	srv := server.New(server.Options{
		Logger: log,
		Stream: func(s *server.Session) {
			sessions <- s
			if s.Request().URL.Query().Get("panic") != "" {
				panic("stream bug")
			}
			_ = s.PushData("fine")
			s.Close()
		},
	})
	ts := startServer(t, srv, "HTTP/1.1")
	bad := connect(t, ts.Client(), ts.URL+"?panic=1", nil)
	require.Equal(t, http.StatusOK, bad.Resp.StatusCode)
	bad.RequireEOF()
	s := <-sessions
	<-s.Done()
	require.Equal(t, server.ReasonClosed, s.Reason())
	require.ErrorIs(t, s.Err(), server.ErrStreamPanic)
	require.Contains(t, logs.String(), "stream bug")

	good := connect(t, ts.Client(), ts.URL, nil)
	require.Equal(t, event{Data: "fine"}, good.MustNext())
	good.RequireEOF()
}

func TestClientGoneFreesSession(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			sessions := make(chan *server.Session, 1)
			srv := server.New(server.Options{
				Topics: func(*http.Request) []string { return []string{"t"} },
				Stream: func(s *server.Session) { sessions <- s; <-s.Done() },
			})
			ts := startServer(t, srv, proto)
			c := connect(t, ts.Client(), ts.URL, nil)
			s := <-sessions
			require.Equal(t, 1, srv.Sessions())
			c.Close()
			<-s.Done()
			require.Equal(t, server.ReasonClientGone, s.Reason())
			require.Equal(t, 0, srv.Sessions())
			mustPublish(t, srv, "t", sse.Event{Data: "nobody listens"})
		})
	}
}

func TestFlusherFoundThroughMiddleware(t *testing.T) {
	t.Run("Unwrap", func(t *testing.T) {
		sessions := make(chan *server.Session, 1)
		srv := server.New(server.Options{Stream: func(s *server.Session) { sessions <- s; <-s.Done() }})
		mw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			srv.ServeHTTP(&unwrapper{wrapper{w: w}}, r)
		})
		ts := startServer(t, mw, "HTTP/1.1")
		c := connect(t, ts.Client(), ts.URL, nil)
		s := <-sessions
		line, err := c.Line()
		require.NoError(t, err)
		require.Equal(t, ": ok", line)
		require.NoError(t, s.PushData("through"))
		require.Equal(t, event{Data: "through"}, c.MustNext())
	})
}

func TestServerWriteTimeoutCleared(t *testing.T) {
	const serverTimeout = 50 * time.Millisecond
	release := make(chan struct{})
	srv := server.New(server.Options{Stream: func(s *server.Session) {
		<-release
		_ = s.PushData("after the server's write timeout")
		s.Close()
	}})
	ts := startServer(t, srv, "HTTP/1.1", func(hs *http.Server) { hs.WriteTimeout = serverTimeout })
	c := connect(t, ts.Client(), ts.URL, nil)
	line, err := c.Line()
	require.NoError(t, err)
	require.Equal(t, ": ok", line)
	// The connection's write deadline would have passed here, had it not been cleared.
	time.Sleep(3 * serverTimeout)
	close(release)
	require.Equal(t, event{Data: "after the server's write timeout"}, c.MustNext())
	c.RequireEOF()
}

func TestPanicInTopicsFreesTheSession(t *testing.T) {
	srv := server.New(server.Options{
		MaxSessions: 1,
		Topics: func(r *http.Request) []string {
			if r.URL.Query().Get("panic") != "" {
				panic("topics bug")
			}
			return []string{"t"}
		},
	})
	ts := startServer(t, srv, "HTTP/1.1", func(hs *http.Server) { hs.ErrorLog = log.New(io.Discard, "", 0) })
	_, err := ts.Client().Get(ts.URL + "?panic=1")
	require.Error(t, err, "net/http aborts the response of a panicking handler")
	require.Equal(t, 0, srv.Sessions())
	ok := connect(t, ts.Client(), ts.URL, nil)
	require.Equal(t, http.StatusOK, ok.Resp.StatusCode, "the MaxSessions slot was freed")
	ok.Close()
	require.NoError(t, srv.Shutdown(t.Context()))
}

// A POST stream reads its own body inside Stream, over HTTP/1.1 and HTTP/2 (net/http
// closes the body once the response is flushed: the server reads it first).
func TestPostStreamReadsItsBody(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			srv := server.New(server.Options{Stream: func(s *server.Session) {
				b, err := io.ReadAll(s.Request().Body)
				if err != nil {
					_ = s.Fail(err.Error())
					return
				}
				_ = s.PushData("you sent " + string(b))
				_ = s.Complete("")
			}})
			ts := startServer(t, srv, proto)
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL, strings.NewReader(`{"prompt":"hi"}`))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			resp, err := ts.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			s := &stream{t: t, Resp: resp, br: bufio.NewReader(resp.Body), cancel: func() {}}
			require.Equal(t, event{Data: `you sent {"prompt":"hi"}`}, s.MustNext())
			require.Equal(t, sse.EventComplete, s.MustNext().Type)
			s.RequireEOF()
		})
	}
}

// serverhook.Drop drops the connection: the client reads the events written before it,
// then a network error, not a clean end of response (HTTP/1.1 and HTTP/2).
func TestDropIsANetworkError(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			srv := server.New(server.Options{Stream: func(s *server.Session) {
				_ = s.PushData("before the drop")
				serverhook.Drop(s)
			}})
			ts := startServer(t, srv, proto, func(hs *http.Server) { hs.ErrorLog = log.New(io.Discard, "", 0) })
			c := connect(t, ts.Client(), ts.URL, nil)
			require.Equal(t, event{Data: "before the drop"}, c.MustNext())
			_, err := c.Next()
			require.Error(t, err)
			require.NotErrorIs(t, err, io.EOF)
		})
	}
}
