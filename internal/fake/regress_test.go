package fake_test

// Regression tests of the fake's engine: each names the behaviour it pins down.

import (
	"context"
	"net/http"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/fake"
	"github.com/polysse/sse/internal/fake/script"
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
