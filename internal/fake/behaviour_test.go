package fake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/fake"
	"github.com/polysse/sse/internal/fake/script"
)

func get(t *testing.T, c *http.Client, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestTemplatesAndBadValues(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, c := newEngine(t, `{"version": 1, "routes": [
			{"route": "GET /r/{id}", "options": {"heartbeat": 0, "headers": {"X-Id": "{params.id}", "X-Absent": "{query.none}"}},
			 "answers": [{"stream": [{"retry": "{query.retry}"}, {"event": {"id": "{params.id}-{attempt}", "data": "{query.q|default}"}}, "end"]}]},
			{"route": "GET /status", "answers": [{"respond": {"status": "{query.code|204}"}}]}]}`)
		resp, body := get(t, c, "http://x/r/7?q=v")
		assert.Equal(t, ": ok\nid: 7-1\ndata: v\n\n", body, "an empty retry template drops the step")
		assert.Equal(t, "7", resp.Header.Get("X-Id"))
		_, hasAbsent := resp.Header["X-Absent"]
		assert.False(t, hasAbsent, "an empty header template adds nothing")
		_, body = get(t, c, "http://x/r/7?retry=50")
		assert.Equal(t, ": ok\nretry: 50\nid: 7-2\ndata: default\n\n", body)
		resp, body = get(t, c, "http://x/r/7?retry=soon")
		assert.Equal(t, 400, resp.StatusCode)
		assert.Equal(t, `fake: route GET /r/{id}: stream[0].retry: expanded to "soon", want an integer from 0 to 1000000000000`+"\n", body)
		resp, _ = get(t, c, "http://x/status")
		assert.Equal(t, 204, resp.StatusCode)
		resp, body = get(t, c, "http://x/status?code=42")
		assert.Equal(t, 400, resp.StatusCode)
		assert.Contains(t, body, "respond.status: expanded to \"42\", want a status from 200 to 599")
		synctest.Wait() // outcomes are recorded when the handler returns, after the body's end
		j := e.DefaultScope().Journal("GET /status")
		assert.Equal(t, fake.OutcomeRefused, j[1].Outcome)
	})
}

func TestUnhandledAndScopes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, c := newEngine(t, `{"version": 1, "routes": [{"route": "GET /a", "answers": [{"respond": {"body": "default {attempt}"}}]}]}`)
		resp, body := get(t, c, "http://x/nope?q=1")
		assert.Equal(t, 404, resp.StatusCode)
		assert.Equal(t, "fake: no route for GET http://x/nope?q=1\n", body)
		synctest.Wait()
		j := e.DefaultScope().Journal("")
		require.Len(t, j, 1)
		assert.Equal(t, []any{"", fake.OutcomeUnhandled, 404}, []any{j[0].Route, j[0].Outcome, j[0].Status})

		s, err := e.NewScope()
		require.NoError(t, err)
		require.NoError(t, s.Use(fake.Route{Route: script.Route{Pattern: "GET /a", Answers: []script.Answer{
			{Kind: script.AnswerRespond, Respond: &script.Respond{Status: script.NumOf(200), Body: ptr(script.ParseTemplate("override {attempt}"))}}}}}))
		_, body = get(t, c, "http://x"+s.Prefix()+"/a")
		assert.Equal(t, "override 1", body)
		_, body = get(t, c, "http://x/a")
		assert.Equal(t, "default 1", body, "the default scope keeps its own counts and routes")
		assert.Len(t, s.Journal(""), 1)
		assert.Equal(t, "/a", s.Journal("")[0].Path)

		s.Reset()
		_, body = get(t, c, "http://x"+s.Prefix()+"/a")
		assert.Equal(t, "default 1", body, "reset removes the overrides and the counts")
		require.NoError(t, e.DeleteScope(s.Name()))
		assert.ErrorIs(t, e.DeleteScope(s.Name()), fake.ErrNoScope)
		resp, _ = get(t, c, "http://x"+s.Prefix()+"/a")
		assert.Equal(t, 404, resp.StatusCode)
	})
}

func ptr[T any](v T) *T { return &v }

func TestPreflightAndCORS(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, c := newEngine(t, `{"version": 1, "routes": [
			{"route": "GET /open", "options": {"cors": "echo", "preflight": true}, "answers": [{"respond": {}}]},
			{"route": "GET /star", "options": {"cors": "star"}, "answers": [{"respond": {}}]},
			{"route": "GET /closed", "options": {"cors": "{query.cors|off}"}, "answers": [{"respond": {}}]}]}`)
		do := func(method, url string, h ...string) *http.Response {
			req, _ := http.NewRequest(method, url, nil)
			for i := 0; i+1 < len(h); i += 2 {
				req.Header.Set(h[i], h[i+1])
			}
			resp, err := c.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			return resp
		}
		pre := []string{"Origin", "http://o.test", "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "x-a"}
		resp := do("OPTIONS", "http://x/open", pre...)
		assert.Equal(t, 204, resp.StatusCode)
		assert.Equal(t, []string{"http://o.test", "true", "GET", "x-a", "0"}, []string{
			resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Get("Access-Control-Allow-Credentials"),
			resp.Header.Get("Access-Control-Allow-Methods"), resp.Header.Get("Access-Control-Allow-Headers"),
			resp.Header.Get("Access-Control-Max-Age")})
		resp = do("OPTIONS", "http://x/star", pre...)
		assert.Equal(t, 405, resp.StatusCode, "a route without preflight refuses it as a GET-only server would")
		assert.Equal(t, "GET", resp.Header.Get("Allow"))
		resp = do("GET", "http://x/star", "Origin", "http://o.test")
		assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
		assert.Equal(t, fake.ExposedHeaders, resp.Header.Get("Access-Control-Expose-Headers"))
		resp = do("GET", "http://x/closed", "Origin", "http://o.test")
		assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
		resp = do("GET", "http://x/closed?cors=echo-nocreds", "Origin", "http://o.test")
		assert.Equal(t, "http://o.test", resp.Header.Get("Access-Control-Allow-Origin"))
		assert.Empty(t, resp.Header.Get("Access-Control-Allow-Credentials"))
		resp = do("GET", "http://x/closed?cors=wide", "Origin", "http://o.test")
		assert.Equal(t, 400, resp.StatusCode)
	})
}

func TestNextAnswersAndTimes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, c := newEngine(t, `{"version": 1, "routes": [{"route": "GET /a", "attemptKey": "{query.k}", "answers": [
			{"times": 2, "respond": {"body": "first two {attempt}"}}, {"respond": {"body": "later {attempt}"}}]}]}`)
		a, err := script.ParseAnswer([]byte(`{"respond": {"status": 401, "body": "next"}}`))
		require.NoError(t, err)
		require.NoError(t, e.DefaultScope().Next("GET /a", *a))
		assert.ErrorIs(t, e.DefaultScope().Next("GET /b", *a), fake.ErrNoRoute)
		var got []string
		for _, k := range []string{"x", "x", "x", "x", "y"} {
			resp, body := get(t, c, "http://h/a?k="+k)
			got = append(got, resp.Status[:3]+" "+body)
		}
		assert.Equal(t, []string{"401 next", "200 first two 2", "200 later 3", "200 later 4", "200 first two 1"}, got,
			"a next answer takes attempt 1; attempt keys count apart")
	})
}

func TestTokensAreRedeemedWhateverTheAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, c := newEngine(t, `{"version": 1, "routes": [{"route": "GET /job", "answers": [
			{"stream": [{"fail": "no"}]}, {"respond": {"status": 500}}]}]}`)
		_, body := get(t, c, "http://h/job")
		i := strings.Index(body, "id: ")
		require.GreaterOrEqual(t, i, 0, body)
		token := body[i+4 : i+4+36]
		resp, _ := get(t, c, "http://h/job", "Last-Event-ID", token)
		assert.Equal(t, 204, resp.StatusCode, "the reconnect with the token gets the server's answer")
		assert.Equal(t, "fatal", resp.Header.Get(sse.HeaderOutcome))
		resp, _ = get(t, c, "http://h/job", "Last-Event-ID", token)
		assert.Equal(t, 500, resp.StatusCode, "once")
	})
}

func TestMaxServers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, err := fake.New(fake.Options{MaxServers: 2, Logger: quiet})
		require.NoError(t, err)
		defer e.Close(context.Background())
		f, err := script.ParseFile([]byte(`{"version": 1, "routes": [{"route": "GET /hb", "options": {"heartbeat": "{query.ms}"}, "answers": [{"stream": ["end"]}]}]}`))
		require.NoError(t, err)
		require.NoError(t, e.Load(f))
		c := &http.Client{Transport: &fake.Transport{Handler: e}}
		for _, ms := range []string{"1", "2", "1"} {
			resp, _ := get(t, c, "http://h/hb?ms="+ms)
			assert.Equal(t, 200, resp.StatusCode)
		}
		resp, body := get(t, c, "http://h/hb?ms=3")
		assert.Equal(t, 500, resp.StatusCode)
		assert.Contains(t, body, "more distinct server options than Options.MaxServers")
	})
}

func TestResetEndsEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, c := newEngine(t, `{"version": 1, "routes": [
			{"route": "GET /held", "options": {"heartbeat": 0}, "answers": [{"stream": [{"event": {"data": "x"}}]}]},
			{"route": "GET /waiting", "answers": [{"delay": "forever", "stream": []}]},
			{"route": "GET /body", "answers": [{"respond": {"body": [{"raw": "a"}, {"wait": 100000}, {"raw": "b"}]}}]}]}`)
		type result struct {
			body string
			err  error
		}
		results := make(chan result, 3)
		for _, p := range []string{"/held", "/waiting", "/body"} {
			go func() {
				resp, err := c.Get("http://h" + p)
				if err != nil {
					results <- result{"", err}
					return
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				results <- result{p + " " + string(b), err}
			}()
		}
		s := e.DefaultScope()
		_, err := s.WaitRequests(t.Context(), "", 3)
		require.NoError(t, err)
		synctest.Wait()
		s.Reset()
		var got []string
		for range 3 {
			r := <-results
			if r.err != nil {
				got = append(got, "error: "+errors.Unwrap(r.err).Error())
				continue
			}
			got = append(got, r.body)
		}
		assert.ElementsMatch(t, []string{"/held : ok\ndata: x\n\n", "/body a", "error: fake: the connection was dropped: unexpected EOF"}, got,
			"streams and bodies end cleanly, a request waiting for its head is dropped")
		assert.Empty(t, s.Journal(""))
		assert.Empty(t, s.Conns("", false))
	})
}

func TestHandlers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, c := newEngine(t, "")
		s := e.DefaultScope()
		route := func(p string, h fake.Handler) {
			require.NoError(t, e.Route(fake.Route{Route: script.Route{Pattern: p}, Handler: h}))
		}
		var errs sync.Map
		route("GET /silent", func(*fake.Context) {})
		route("GET /twice", func(c *fake.Context) {
			errs.Store("first", c.Respond(202, http.Header{"X-A": {"1"}}, []byte("body")))
			errs.Store("second", c.Drop())
		})
		route("GET /drop", func(c *fake.Context) { _ = c.Drop() })
		route("GET /panic", func(*fake.Context) { panic("boom") })
		route("GET /serve", func(c *fake.Context) {
			a, _ := script.ParseAnswer([]byte(`{"respond": {"body": "served {attempt}"}}`))
			errs.Store("serve", c.Serve(*a))
		})
		route("GET /refused", func(c *fake.Context) {
			conn := c.Stream()
			<-conn.Done()
			errs.Store("refused", conn.Send(sse.Event{Data: "x"}))
		})
		require.NoError(t, e.Route(fake.Route{Route: script.Route{Pattern: "GET /forwarded/{x}", Options: &script.Options{
			Refuse: &script.Refusal{Status: script.NumOf(429)}}}, Handler: func(c *fake.Context) { _ = c.Stream() }}))
		route("GET /fw", func(c *fake.Context) { errs.Store("forward", c.Forward("/forwarded/1")) })

		resp, body := get(t, c, "http://h/silent")
		assert.Equal(t, []any{500, "fake: route GET /silent: the handler returned without answering\n"}, []any{resp.StatusCode, body})
		resp, body = get(t, c, "http://h/twice")
		assert.Equal(t, []any{202, "body", "1"}, []any{resp.StatusCode, body, resp.Header.Get("X-A")})
		synctest.Wait()
		first, _ := errs.Load("first")
		second, _ := errs.Load("second")
		assert.Nil(t, first)
		assert.ErrorIs(t, second.(error), fake.ErrAnswered)
		_, err := c.Get("http://h/drop")
		assert.ErrorIs(t, err, fake.ErrDropped)
		_, err = c.Get("http://h/panic")
		assert.ErrorIs(t, err, fake.ErrDropped, "a handler that panics drops its connection")
		_, body = get(t, c, "http://h/serve")
		assert.Equal(t, "served 1", body)
		_, _ = get(t, c, "http://h/fw")
		resp, _ = get(t, c, "http://h/fw")
		assert.Equal(t, 429, resp.StatusCode, "Forward answers with the other route's options")
		synctest.Wait()
		fwd, _ := errs.Load("forward")
		assert.Nil(t, fwd)
		j := s.Journal("GET /fw")
		require.Len(t, j, 2)
		assert.Equal(t, []int{1, 2}, []int{j[0].Attempt, j[1].Attempt})
		_ = j
	})
}

func TestMaxHoldEndsHeldResponses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, err := fake.New(fake.Options{MaxHold: time.Minute, Logger: quiet})
		require.NoError(t, err)
		defer e.Close(context.Background())
		f, _ := script.ParseFile([]byte(`{"version": 1, "routes": [
			{"route": "GET /held", "options": {"heartbeat": 0}, "answers": [{"stream": ["hold"]}]},
			{"route": "GET /hang", "answers": [{"delay": "forever", "respond": {"body": "late"}}]}]}`))
		require.NoError(t, e.Load(f))
		c := &http.Client{Transport: &fake.Transport{Handler: e}}
		start := time.Now()
		_, body := get(t, c, "http://h/held")
		assert.Equal(t, ": ok\n", body)
		assert.Equal(t, time.Minute, time.Since(start))
		start = time.Now()
		_, body = get(t, c, "http://h/hang")
		assert.Equal(t, "late", body, "a forever delay lasts MaxHold, then the answer comes")
		assert.Equal(t, time.Minute, time.Since(start))
	})
}

func TestTransport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		started := make(chan struct{})
		var gone, flushErr error
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/slow":
				close(started)
				<-r.Context().Done()
				gone = context.Cause(r.Context())
			case "/big":
				w.WriteHeader(200)
				chunk := strings.Repeat("x", 1024)
				rc := http.NewResponseController(w)
				_ = rc.SetWriteDeadline(time.Now().Add(time.Second))
				for {
					_, _ = io.WriteString(w, chunk)
					if err := rc.Flush(); err != nil {
						flushErr = err
						return
					}
				}
			}
		})
		c := &http.Client{Transport: &fake.Transport{Handler: h, MaxBuffered: 4096}}
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-started; cancel() }()
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://h/slow", nil)
		_, err := c.Do(req)
		assert.ErrorIs(t, err, context.Canceled, "cancelling the request before the head")
		synctest.Wait()
		assert.ErrorIs(t, gone, context.Canceled, "reaches the handler")

		resp, err := c.Get("http://h/big")
		require.NoError(t, err)
		time.Sleep(2 * time.Second) // the handler fills the buffer and waits for room, until its deadline
		synctest.Wait()
		assert.ErrorIs(t, flushErr, os.ErrDeadlineExceeded)
		resp.Body.Close()
	})
}

// A client that goes away during a plain response's wait ends it at once (client-gone).
func TestPlainResponseNoticesTheClientGoingAway(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, c := newEngine(t, `{"version": 1, "routes": [{"route": "GET /slow", "answers": [{"respond": {"body": [{"raw": "a"}, {"wait": 3600000}, {"raw": "b"}, "end"]}}]}]}`)
		resp, err := c.Get("http://h/slow")
		require.NoError(t, err)
		buf := make([]byte, 8)
		n, err := resp.Body.Read(buf)
		require.NoError(t, err)
		assert.Equal(t, "a", string(buf[:n]))
		start := time.Now()
		resp.Body.Close()
		j, err := e.DefaultScope().WaitJournal(t.Context(), "the end", func(es []fake.Entry) bool { return !es[0].End.IsZero() })
		require.NoError(t, err)
		assert.Equal(t, fake.OutcomeClientGone, j[0].Outcome)
		assert.Zero(t, time.Since(start), "not after the wait")
	})
}

// A handler that forwards to a scripted stream gets that stream's steps and ending (a
// forwarded stream is not the handler's own).
func TestForwardToAStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, c := newEngine(t, `{"version": 1, "routes": [{"route": "GET /target", "options": {"heartbeat": 0},
			"answers": [{"stream": [{"event": {"data": "attempt {attempt}"}}, "end"]}]}]}`)
		require.NoError(t, e.Route(fake.Route{Route: script.Route{Pattern: "GET /via"}, Handler: func(c *fake.Context) {
			_ = c.Forward("/target")
		}}))
		for _, want := range []string{": ok\ndata: attempt 1\n\n", ": ok\ndata: attempt 2\n\n"} {
			_, body := get(t, c, "http://h/via")
			assert.Equal(t, want, body)
		}
		j := e.DefaultScope().Journal("")
		assert.Equal(t, []string{"GET /via", "GET /via"}, []string{j[0].Route, j[1].Route}, "the entry keeps the first route")
	})
}

// The journal's JSON is the JavaScript JournalEntry.
func TestJournalJSON(t *testing.T) {
	start := time.UnixMilli(1000)
	e := fake.Entry{Seq: 1, Scope: "default", Method: "POST", URL: "http://h/x?a=1&a=2", Path: "/x",
		Query: map[string][]string{"a": {"1", "2"}}, Header: http.Header{"X": {"1", "2"}},
		Body: []byte{0xff, 'a'}, Outcome: fake.OutcomeUnhandled, Start: start}
	b, err := json.Marshal(e)
	require.NoError(t, err)
	assert.JSONEq(t, `{"seq":1,"scope":"default","route":null,"attempt":0,"connection":null,"method":"POST",
		"url":"http://h/x?a=1&a=2","path":"/x","query":{"a":"1"},"headers":{"X":"1, 2"},"lastEventId":null,
		"body":"","bodyBase64":"/2E=","status":null,"outcome":"unhandled","startedAt":1000,"endedAt":null}`, string(b))
	e.Route, e.Conn, e.Attempt, e.Status, e.Body = "GET /x", "c1", 2, 200, []byte("hé")
	e.LastEventID, e.HasLastEventID, e.Outcome, e.End = "", true, fake.OutcomeEnded, start.Add(time.Second)
	b, err = json.Marshal(e)
	require.NoError(t, err)
	assert.JSONEq(t, `{"seq":1,"scope":"default","route":"GET /x","attempt":2,"connection":"c1","method":"POST",
		"url":"http://h/x?a=1&a=2","path":"/x","query":{"a":"1"},"headers":{"X":"1, 2"},"lastEventId":"",
		"body":"hé","status":200,"outcome":"ended","startedAt":1000,"endedAt":2000}`, string(b))
}
