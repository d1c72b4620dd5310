package fake_test

import (
	"io"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/fake"
	"github.com/polysse/sse/internal/fake/script"
)

// A handler that answers with a scripted stream gets the script's steps, not a held
// stream of its own.
func TestHandlerServesScriptedStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, c := newEngine(t, "")
		a, err := script.ParseAnswer([]byte(`{"stream": [{"event": {"data": "attempt {attempt}"}}, "end"]}`))
		require.NoError(t, err)
		rt, err := script.ParseRoute([]byte(`{"route": "GET /h", "options": {"heartbeat": 0}}`), false)
		require.NoError(t, err)
		require.NoError(t, e.Route(fake.Route{Route: *rt, Handler: func(c *fake.Context) { _ = c.Serve(*a) }}))
		resp, err := c.Get("http://fake.test/h")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, ": ok\ndata: attempt 1\n\n", string(b))
	})
}
