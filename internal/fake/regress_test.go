package fake_test

// Regression tests of the fake's engine: each names the behaviour it pins down.

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/fake"
	"github.com/polysse/sse/internal/fake/script"
	"github.com/polysse/sse/internal/protocol"
	"github.com/polysse/sse/server"
)

// A client that goes away right after the head races the stream function's start (the
// server does not wait for it): whichever wins, the handler's connection and the journal
// say the client went away, and a connection is in the journal only if it was
// registered before the request's answer was recorded.
func TestAClientGoneRightAfterTheHeadIsClientGoneWhoeverWins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, c := newEngine(t, "")
		s := e.DefaultScope()
		reasons := make(chan string, 1)
		require.NoError(t, e.Route(fake.Route{Route: script.Route{Pattern: "GET /feed", Options: &script.Options{Heartbeat: ptr(script.NumOf(0))}},
			Handler: func(c *fake.Context) {
				conn := c.Stream()
				<-conn.Done()
				reasons <- conn.Reason()
			}}))
		for round := range 50 {
			ctx, cancel := context.WithCancel(t.Context())
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://x/feed", nil)
			require.NoError(t, err)
			resp, err := c.Do(req)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			cancel()
			resp.Body.Close()
			assert.Equal(t, string(server.ReasonClientGone), <-reasons, "round %d", round)
			synctest.Wait()
			j := s.Journal("GET /feed")
			require.Len(t, j, round+1)
			en := j[round]
			assert.Equal(t, []any{200, fake.OutcomeClientGone}, []any{en.Status, en.Outcome}, "round %d", round)
			if en.Conn != "" {
				conn, err := s.Conn(en.Conn)
				require.NoError(t, err)
				assert.Equal(t, string(server.ReasonClientGone), conn.Reason())
			}
		}
	})
}

// The journal, the {lastEventId} template and the connection read the last event ID by
// the server's rule (protocol.LastEventID): an empty header falls back to the query
// parameter, CR, LF and NUL are removed, and one too long is ignored.
func TestTheLastEventIDIsTheOneTheServerReads(t *testing.T) {
	long := strings.Repeat("x", protocol.MaxLastEventIDLen+1)
	tests := []struct {
		name   string
		header []string // nil: no header
		query  string
		wantID string
		has    bool
	}{
		{"none", nil, "", "", false},
		{"the header", []string{"7"}, "lid=9", "7", true},
		{"an empty header falls back to the query", []string{""}, "lid=9", "9", true},
		{"the query alone", nil, "lid=9", "9", true},
		{"CR, LF and NUL removed", []string{"a\rb\nc\x00d"}, "", "abcd", true},
		{"too long: ignored", []string{long}, "lid=9", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e, c := newEngine(t, `{"version": 1, "routes": [{"route": "GET /feed", "options": {"heartbeat": 0, "lastEventIdQuery": "lid"},
					"answers": [{"stream": [{"event": {"data": "[{lastEventId}]"}}, "end"]}]}]}`)
				req, err := http.NewRequest(http.MethodGet, "http://x/feed?"+tt.query, nil)
				require.NoError(t, err)
				if tt.header != nil {
					req.Header[http.CanonicalHeaderKey("Last-Event-ID")] = tt.header
				}
				resp, err := c.Do(req)
				require.NoError(t, err)
				b, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, ": ok\ndata: ["+tt.wantID+"]\n\n", string(b))
				synctest.Wait()
				j := e.DefaultScope().Journal("GET /feed")
				require.Len(t, j, 1)
				assert.Equal(t, []any{tt.wantID, tt.has}, []any{j[0].LastEventID, j[0].HasLastEventID})
				conn, err := e.DefaultScope().Conn(j[0].Conn)
				require.NoError(t, err)
				assert.Equal(t, tt.wantID, conn.LastEventID())
			})
		})
	}
}

// Drop on a stream that is already ending (End, Complete, Fail, or a first Drop) does not
// drop: it fails with an error wrapping ErrEnded, and the connection and the journal
// say how it really ended.
func TestDropAfterTheEndDropsNothing(t *testing.T) {
	const stream, plain = `{"stream": []}`, `{"respond": {"body": ["hold"]}}`
	tests := []struct {
		name        string
		answer      string
		end         func(*fake.Conn) error
		wantReason  string
		wantOutcome fake.Outcome
	}{
		{"after End", stream, (*fake.Conn).End, string(server.ReasonClosed), fake.OutcomeEnded},
		{"after Complete", stream, func(c *fake.Conn) error { return c.Complete("done") }, string(server.ReasonComplete), fake.OutcomeEnded},
		{"after Fail", stream, func(c *fake.Conn) error { return c.Fail("no") }, string(server.ReasonFatal), fake.OutcomeEnded},
		{"after Drop", stream, (*fake.Conn).Drop, fake.ReasonDropped, fake.OutcomeDropped},
		{"a plain response after End", plain, (*fake.Conn).End, fake.ReasonEnded, fake.OutcomeEnded},
		{"a plain response after Drop", plain, (*fake.Conn).Drop, fake.ReasonDropped, fake.OutcomeDropped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e, c := newEngine(t, `{"version": 1, "routes": [{"route": "GET /feed", "options": {"heartbeat": 0}, "answers": [`+tt.answer+`]}]}`)
				s := e.DefaultScope()
				resp, err := c.Get("http://x/feed")
				require.NoError(t, err)
				defer resp.Body.Close()
				conns, err := s.WaitConns(t.Context(), "GET /feed", true, 1)
				require.NoError(t, err)
				conn := conns[0]
				require.NoError(t, tt.end(conn))
				err = conn.Drop()
				require.ErrorIs(t, err, fake.ErrEnded, "the second ending")
				_, _ = io.Copy(io.Discard, resp.Body)
				<-conn.Done()
				assert.Equal(t, tt.wantReason, conn.Reason())
				synctest.Wait()
				assert.Equal(t, tt.wantOutcome, s.Journal("GET /feed")[0].Outcome)
			})
		})
	}
}

// Engine.Close returns when its context is done, even while a server's shutdown waits
// (here for a stream blocked on a client that does not read, until the server's write
// timeout).
func TestCloseHonoursItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		chunk := strings.Repeat("x", 32<<10)
		e, c := newEngine(t, `{"version": 1, "routes": [{"route": "GET /flood", "options": {"heartbeat": 0},
			"answers": [{"stream": [{"repeat": null, "steps": [{"raw": "`+chunk+`"}]}]}]}]}`)
		resp, err := c.Get("http://x/flood")
		require.NoError(t, err)
		defer resp.Body.Close()
		synctest.Wait() // the stream is blocked: the client reads nothing
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		err = e.Close(ctx)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(start))
	})
}

// An endless repeat whose round writes nothing and does not wait (its templates expanded
// empty) waits a little between rounds on the runtime's clock instead of spinning: in a
// bubble, time goes on, and the connection ends when the client goes away.
func TestAnEndlessRepeatThatDoesNothingDoesNotSpin(t *testing.T) {
	for _, steps := range []string{
		`[{"raw": "{query.r}"}]`,
		`[{"wait": "{query.w}"}, {"event": {"data": "{query.d}"}}, {"retry": "{query.r}"}]`,
		`[{"repeat": "{query.n}", "steps": [{"wait": 1}]}]`,
	} {
		t.Run(steps, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e, c := newEngine(t, `{"version": 1, "routes": [{"route": "GET /feed", "options": {"heartbeat": 0},
					"answers": [{"stream": [{"repeat": null, "steps": `+steps+`}]}]}]}`)
				resp, err := c.Get("http://x/feed")
				require.NoError(t, err)
				time.Sleep(time.Minute) // the bubble's time: it moves on only if the stream blocks
				conns := e.DefaultScope().Conns("GET /feed", true)
				require.Len(t, conns, 1)
				resp.Body.Close()
				<-conns[0].Done()
				assert.Equal(t, string(server.ReasonClientGone), conns[0].Reason())
			})
		})
	}
}
