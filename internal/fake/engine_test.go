package fake_test

import (
	"bufio"
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
)

func newEngine(t *testing.T, file string) (*fake.Engine, *http.Client) {
	t.Helper()
	e, err := fake.New(fake.Options{Logger: quiet})
	require.NoError(t, err)
	if file != "" {
		f, err := script.ParseFile([]byte(file))
		require.NoError(t, err)
		require.NoError(t, e.Load(f))
	}
	t.Cleanup(func() { require.NoError(t, e.Close(context.Background())) })
	return e, &http.Client{Transport: &fake.Transport{Handler: e}}
}

func TestStreamScript(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, c := newEngine(t, `{"version": 1, "routes": [{"route": "GET /feed", "options": {"heartbeat": 0, "reconnectionTime": 1000},
			"answers": [{"stream": [{"event": {"type": "t", "id": "1", "data": "a"}}, {"wait": 500}, {"comment": "x"}, "end"]}]}]}`)
		resp, err := c.Get("http://fake.test/feed")
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
		start := time.Now()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, ": ok\nretry: 1000\nid: 1\nevent: t\ndata: a\n\n: x\n", string(b))
		assert.Equal(t, 500*time.Millisecond, time.Since(start))
	})
}

func TestChunks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, c := newEngine(t, `{"version": 1, "routes": [{"route": "GET /bytes", "answers": [{"respond": {
		  "status": 200, "headers": {"Content-Type": "text/event-stream"},
		  "body": [ {"rawBase64": "77u/ZGF0YTogaMM="}, {"wait": 20}, {"rawBase64": "qWxsbwoK"}, "end" ] }}]}]}`)
		resp, err := c.Get("http://fake.test/bytes")
		require.NoError(t, err)
		defer resp.Body.Close()
		var chunks []string
		buf := make([]byte, 100)
		for {
			n, err := resp.Body.Read(buf)
			if n > 0 {
				chunks = append(chunks, string(buf[:n]))
			}
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
		}
		assert.Equal(t, []string{"\xEF\xBB\xBFdata: h\xC3", "\xA9llo\n\n"}, chunks)
	})
}

func TestDropMidStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, c := newEngine(t, `{"version": 1, "routes": [{"route": "GET /feed", "options": {"heartbeat": 0},
			"answers": [{"stream": [{"event": {"id": "7", "data": "a"}}, "drop"]}, {"stream": [{"event": {"data": "{lastEventId}"}}, "end"]}]}]}`)
		resp, err := c.Get("http://fake.test/feed")
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		assert.ErrorIs(t, err, fake.ErrDropped)
		assert.Equal(t, ": ok\nid: 7\ndata: a\n\n", string(b))
		resp.Body.Close()
		req, _ := http.NewRequest("GET", "http://fake.test/feed", nil)
		req.Header.Set("Last-Event-ID", "7")
		resp, err = c.Do(req)
		require.NoError(t, err)
		b, err = io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, ": ok\ndata: 7\n\n", string(b))
		resp.Body.Close()
		synctest.Wait()
		j := e.DefaultScope().Journal("")
		require.Len(t, j, 2)
		assert.Equal(t, fake.OutcomeDropped, j[0].Outcome)
		assert.Equal(t, fake.OutcomeEnded, j[1].Outcome)
		assert.Equal(t, 2, j[1].Attempt)
		assert.Equal(t, "7", j[1].LastEventID)
	})
}

func TestHandlerAndConn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, c := newEngine(t, "")
		require.NoError(t, e.Route(fake.Route{Route: script.Route{Pattern: "GET /jobs/{id}"}, Handler: func(hc *fake.Context) {
			conn := hc.Stream()
			_ = conn.Send(sseEvent("job " + hc.Params["id"]))
		}}))
		resp, err := c.Get("http://fake.test/jobs/9")
		require.NoError(t, err)
		r := bufio.NewReader(resp.Body)
		line, _ := r.ReadString('\n')
		assert.Equal(t, ": ok\n", line)
		line, _ = r.ReadString('\n')
		assert.Equal(t, "data: job 9\n", line)
		conn, err := e.DefaultScope().NextConn(t.Context(), "GET /jobs/{id}", 0)
		require.NoError(t, err)
		assert.Equal(t, "c1", conn.ID())
		require.NoError(t, conn.Comment("hi"))
		_, _ = r.ReadString('\n')
		line, _ = r.ReadString('\n')
		assert.Equal(t, ": hi\n", line)
		require.NoError(t, conn.End())
		rest, err := io.ReadAll(r)
		require.NoError(t, err)
		assert.Equal(t, "", strings.TrimSpace(string(rest)))
		resp.Body.Close()
		<-conn.Done()
		assert.ErrorIs(t, conn.Send(sseEvent("x")), fake.ErrEnded)
	})
}

// TestLoadIsAllOrNothing: a file one of whose routes cannot be added (its name is taken by
// a route added before) adds none of its routes. (Names taken within the file are refused
// by script.ParseFile.)
func TestLoadIsAllOrNothing(t *testing.T) {
	tests := []struct {
		name, file, wantErr string
	}{
		{"name taken by an existing route, after a good one",
			`{"version": 1, "routes": [{"route": "GET /a", "answers": [{"drop": true}]},
			  {"route": "GET /b", "name": "GET /first", "answers": [{"drop": true}]}]}`,
			"routes[1]"},
		{"name taken by an existing route",
			`{"version": 1, "routes": [{"route": "GET /b", "answers": [{"drop": true}]},
			  {"route": "GET /first", "answers": [{"drop": true}]}]}`,
			"routes[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newEngine(t, `{"version": 1, "routes": [{"route": "GET /first", "answers": [{"drop": true}]}]}`)
			f, err := script.ParseFile([]byte(tt.file))
			require.NoError(t, err)
			err = e.Load(f)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			for _, path := range []string{"/a", "/b"} {
				r, _ := http.NewRequest("GET", "http://fake.test"+path, nil)
				assert.False(t, e.Handles(r), "%s was added although the file failed", path)
			}
		})
	}
}
