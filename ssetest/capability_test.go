package ssetest_test

// One test per capability of the fake, each under testing/synctest with polysse's Go
// client over the in-memory transport: the time is the bubble's, and no socket exists.

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/ssetest"
)

// run runs a client of url with opts against f until it closes (or the bubble's
// timeout), and returns the events it received and its error.
func run(t *testing.T, f *ssetest.Fake, url string, opts sse.ClientOptions) ([]sse.Event, error) {
	t.Helper()
	opts.HTTPClient = f.Client()
	var mu sync.Mutex
	var evs []sse.Event
	onEvent := opts.OnEvent
	opts.OnEvent = func(ev sse.Event) {
		mu.Lock()
		evs = append(evs, ev)
		mu.Unlock()
		if onEvent != nil {
			onEvent(ev)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
	defer cancel()
	err := sse.NewClient(url, &opts).Run(ctx)
	mu.Lock()
	defer mu.Unlock()
	return evs, err
}

func TestScriptedEventsCarryTypeIDAndRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := ssetest.New(t)
		f.Handle("GET /feed",
			ssetest.Stream(
				ssetest.Event(sse.Event{Type: "progress", ID: "1", Data: "10%", Retry: 2 * time.Second}),
				ssetest.Event(sse.Event{Type: "progress", ID: "2", Data: "line 1\nline 2"}),
				ssetest.End()),
			ssetest.Stream(ssetest.Complete("done")))
		start := time.Now()
		var reconnectedAt time.Time
		evs, err := run(t, f, ssetest.URL+"/feed", sse.ClientOptions{
			CompleteEvent: sse.EventComplete,
			OnOpen: func(*http.Response) {
				if reconnectedAt.IsZero() && time.Since(start) > 0 {
					reconnectedAt = time.Now()
				}
			},
		})
		require.NoError(t, err)
		require.Len(t, evs, 3)
		assert.Equal(t, sse.Event{Type: "progress", ID: "1", Data: "10%"}, evs[0])
		assert.Equal(t, sse.Event{Type: "progress", ID: "2", Data: "line 1\nline 2"}, evs[1])
		assert.Equal(t, sse.EventComplete, evs[2].Type)
		assert.Equal(t, 2*time.Second, reconnectedAt.Sub(start), "the retry field set the reconnection time")
		reqs := f.Journal("GET /feed")
		require.Len(t, reqs, 2)
		assert.Equal(t, "2", reqs[1].LastEventID)
	})
}

func TestCommentsAndHeartbeatsReachTheClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := ssetest.New(t)
		f.Route(ssetest.Route{
			Pattern: "GET /feed",
			Options: ssetest.Options{HeartbeatInterval: time.Second},
			Answers: []ssetest.Answer{ssetest.Stream(ssetest.Comment("still working"), ssetest.Comment(""))},
		})
		resp, err := f.Client().Get(ssetest.URL + "/feed")
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, "1000", resp.Header.Get(sse.HeaderHeartbeatInterval))
		start := time.Now()
		r := bufio.NewReader(resp.Body)
		var got []string
		for len(got) < 5 {
			line, err := r.ReadString('\n')
			require.NoError(t, err)
			got = append(got, time.Since(start).String()+" "+line)
		}
		assert.Equal(t, []string{"0s : ok\n", "0s : still working\n", "0s :\n", "1s :\n", "2s :\n"}, got,
			"the script's comments, then the server's heartbeats every second of the bubble's time")
	})
}

func TestRawBytesArriveInTheChunksTheScriptChose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := ssetest.New(t)
		bytes := ssetest.Respond(200, ssetest.Header("Content-Type", "text/event-stream"),
			ssetest.RawBytes([]byte("\xEF\xBB\xBFdata: h\xC3")), ssetest.Wait(20*time.Millisecond),
			ssetest.RawBytes([]byte("\xA9llo\r\n\r")), ssetest.Raw("\ndata: two\n\n"), ssetest.End())
		f.Handle("GET /bytes", bytes)
		f.Handle("GET /client", bytes, ssetest.Respond(http.StatusNoContent, nil))
		f.Handle("GET /stream", ssetest.Stream(ssetest.Data("a"), ssetest.Raw("data: b"), ssetest.Raw("c\n\n"), ssetest.End()))

		resp, err := f.Client().Get(ssetest.URL + "/bytes")
		require.NoError(t, err)
		assert.Equal(t, []string{"\xEF\xBB\xBFdata: h\xC3", "\xA9llo\r\n\r", "\ndata: two\n\n"}, chunks(t, resp.Body))

		resp, err = f.Client().Get(ssetest.URL + "/stream")
		require.NoError(t, err)
		assert.Equal(t, []string{": ok\n", "data: a\n\n", "data: b", "c\n\n"}, chunks(t, resp.Body),
			"in a stream too, raw bytes are a chunk of their own")

		evs, err := run(t, f, ssetest.URL+"/client", sse.ClientOptions{})
		require.NoError(t, err)
		require.Len(t, evs, 2)
		assert.Equal(t, []string{"héllo", "two"}, []string{evs[0].Data, evs[1].Data}, "a BOM and a split é, CRLF and CR")
	})
}

// chunks reads body to its end, one Read per chunk.
func chunks(t *testing.T, body io.ReadCloser) []string {
	t.Helper()
	defer body.Close()
	var out []string
	buf := make([]byte, 1024)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			out = append(out, string(buf[:n]))
		}
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
	}
}

func TestStatusAnswersWithHeaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := ssetest.New(t)
		f.Handle("GET /gone", ssetest.Respond(204, nil))
		f.Handle("GET /auth", ssetest.Respond(401, ssetest.Header("WWW-Authenticate", "Bearer"), ssetest.Raw("who are you?")))
		f.Handle("GET /busy",
			ssetest.Respond(503, ssetest.Header("Retry-After", "2"), ssetest.Raw("busy"), ssetest.End()).Times(2),
			ssetest.Stream(ssetest.Data("back"), ssetest.Complete("")))

		// 204 stops.
		_, err := run(t, f, ssetest.URL+"/gone", sse.ClientOptions{})
		require.NoError(t, err)
		assert.Len(t, f.Journal("GET /gone"), 1)

		// 401 fails, with its header.
		var authHeader string
		_, err = run(t, f, ssetest.URL+"/auth", sse.ClientOptions{Classify: func(r *http.Response) sse.Verdict {
			authHeader = r.Header.Get("WWW-Authenticate")
			return sse.VerdictDefault
		}})
		var ce *sse.CloseError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, []any{sse.CloseHTTPStatus, 401, "Bearer"}, []any{ce.Reason, ce.Status, authHeader})

		// 503 retries with Classify, after its Retry-After.
		start := time.Now()
		evs, err := run(t, f, ssetest.URL+"/busy", sse.ClientOptions{
			Retry:         sse.RetryPolicy{Initial: time.Millisecond},
			CompleteEvent: sse.EventComplete,
			Classify: func(r *http.Response) sse.Verdict {
				if r.StatusCode == http.StatusServiceUnavailable {
					return sse.VerdictRetry
				}
				return sse.VerdictDefault
			},
		})
		require.NoError(t, err)
		require.NotEmpty(t, evs)
		assert.Equal(t, "back", evs[0].Data)
		busy := f.Journal("GET /busy")
		assert.Equal(t, []int{503, 503, 200}, []int{busy[0].Status, busy[1].Status, busy[2].Status})
		assert.Equal(t, 4*time.Second, busy[2].Start.Sub(start), "two Retry-After: 2")
	})
}

func TestDropMidStreamIsANetworkError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := ssetest.New(t)
		f.Handle("GET /feed",
			ssetest.Stream(ssetest.Event(sse.Event{ID: "1", Data: "a"}), ssetest.Drop()),
			ssetest.NetworkError(),
			ssetest.Stream(ssetest.Data("b"), ssetest.Complete("")))
		var errs []error
		evs, err := run(t, f, ssetest.URL+"/feed", sse.ClientOptions{
			CompleteEvent: sse.EventComplete,
			Retry:         sse.RetryPolicy{Initial: time.Millisecond},
			OnError:       func(ei *sse.ErrorInfo) { errs = append(errs, ei.Err) },
		})
		require.NoError(t, err)
		require.Len(t, evs, 3)
		assert.Equal(t, []string{"a", "b"}, []string{evs[0].Data, evs[1].Data})
		assert.Equal(t, sse.EventComplete, evs[2].Type, "the third answer completed the stream")
		require.Len(t, errs, 2)
		assert.ErrorIs(t, errs[0], io.ErrUnexpectedEOF, "the drop mid-stream is a network error, not io.EOF")
		assert.ErrorIs(t, errs[1], io.ErrUnexpectedEOF, "no response at all is a network error")
		j := f.Settled(t, "GET /feed", 3)
		assert.Equal(t, []string{ssetest.OutcomeDropped, ssetest.OutcomeDropped, ssetest.OutcomeEnded}, []string{j[0].Outcome, j[1].Outcome, j[2].Outcome})
		assert.Equal(t, []int{200, 0, 200}, []int{j[0].Status, j[1].Status, j[2].Status})
	})
}

func TestReconnectCarriesLastEventID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := ssetest.New(t)
		f.Handle("GET /feed",
			ssetest.Stream(ssetest.Retry(time.Millisecond), ssetest.Event(sse.Event{ID: "7", Data: "a"}), ssetest.Drop()),
			ssetest.Stream(ssetest.Data("resumed after {lastEventId}"), ssetest.Complete("")))
		evs, err := run(t, f, ssetest.URL+"/feed", sse.ClientOptions{CompleteEvent: sse.EventComplete})
		require.NoError(t, err)
		assert.Equal(t, "resumed after 7", evs[1].Data)
		reqs := f.Requests(t, "GET /feed", 2)
		assert.False(t, reqs[0].HasLastEventID)
		assert.Equal(t, []any{true, "7", 2}, []any{reqs[1].HasLastEventID, reqs[1].LastEventID, reqs[1].Attempt})
	})
}

func TestSendReachesOneConnectionBroadcastAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := ssetest.New(t)
		f.Handle("GET /feed", ssetest.Stream())
		got := make([][]string, 2)
		var mu sync.Mutex
		clients := make([]*sse.Client, 2)
		for i := range clients {
			clients[i] = sse.NewClient(ssetest.URL+"/feed", &sse.ClientOptions{HTTPClient: f.Client(), OnEvent: func(ev sse.Event) {
				mu.Lock()
				got[i] = append(got[i], ev.Data)
				mu.Unlock()
			}})
			go func() { _ = clients[i].Run(t.Context()) }()
		}
		c1 := f.NextConn(t, "GET /feed")
		c2 := f.NextConn(t, "GET /feed")
		assert.Equal(t, []string{"c1", "c2"}, []string{c1.ID(), c2.ID()})
		require.NoError(t, c2.Send(sse.Event{Data: "to c2 only"}))
		n, err := f.Broadcast("GET /feed", sse.Event{Data: "to all"})
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		synctest.Wait()
		for _, c := range clients {
			c.Close()
		}
		mu.Lock()
		defer mu.Unlock()
		assert.ElementsMatch(t, [][]string{{"to all"}, {"to c2 only", "to all"}}, got)
	})
}

func TestAfterCompleteTheReconnectGets204(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := ssetest.New(t)
		f.Route(ssetest.Route{Pattern: "GET /job", Options: ssetest.Options{ReconnectionTime: time.Second},
			Answers: []ssetest.Answer{ssetest.Stream(ssetest.Data("working"), ssetest.Complete(`{"ok":true}`))}})
		// A client that knows nothing of completion (no CompleteEvent) reconnects once with
		// the token and is told 204 SSE-Outcome: complete.
		var closed *sse.CloseInfo
		evs, err := run(t, f, ssetest.URL+"/job", sse.ClientOptions{OnClose: func(ci *sse.CloseInfo) { closed = ci }})
		require.NoError(t, err)
		require.Len(t, evs, 2)
		assert.Equal(t, []string{"working", sse.EventComplete, `{"ok":true}`}, []string{evs[0].Data, evs[1].Type, evs[1].Data})
		assert.True(t, sse.IsToken(evs[1].ID))
		assert.Equal(t, sse.CloseComplete, closed.Reason)
		reqs := f.Settled(t, "GET /job", 2) // the outcome is recorded when the handler returns
		assert.Equal(t, evs[1].ID, reqs[1].LastEventID)
		assert.Equal(t, []any{204, ssetest.OutcomeRefused}, []any{reqs[1].Status, reqs[1].Outcome})
	})
}

func TestJournalRecordsAttemptMethodURLHeadersBodyStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := ssetest.New(t)
		f.Handle("PUT /items/{id}", ssetest.Respond(401, nil).Times(1), ssetest.Stream(ssetest.End()))
		for range 2 {
			req, err := http.NewRequest(http.MethodPut, ssetest.URL+"/items/9?x=1", strings.NewReader(`{"a":1}`))
			require.NoError(t, err)
			req.Header.Set("X-Trace", "t1")
			resp, err := f.Client().Do(req)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		reqs := f.Settled(t, "PUT /items/{id}", 2)
		for i, r := range reqs {
			assert.Equal(t, i+1, r.Attempt)
			assert.Equal(t, "PUT", r.Method)
			assert.Equal(t, ssetest.URL+"/items/9?x=1", r.URL)
			assert.Equal(t, "/items/9", r.Path)
			assert.Equal(t, "1", r.Query.Get("x"))
			assert.Equal(t, "t1", r.Header.Get("X-Trace"))
			assert.Equal(t, `{"a":1}`, string(r.Body))
		}
		assert.Equal(t, []int{401, 200}, []int{reqs[0].Status, reqs[1].Status})
		assert.Equal(t, []string{ssetest.OutcomeEnded, ssetest.OutcomeEnded}, []string{reqs[0].Outcome, reqs[1].Outcome})
		assert.False(t, reqs[1].End.IsZero())
	})
}

func TestPOSTWithBodyAndAnyAcceptIsMatchedAndJournaled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := ssetest.New(t)
		f.HandleFunc("POST /chat", func(c *ssetest.Context) {
			if c.Attempt > 1 {
				_ = c.Respond(http.StatusNoContent, nil, "")
				return
			}
			body, _ := io.ReadAll(c.Request.Body)
			conn := c.Stream()
			_ = conn.Send(sse.Event{Data: "you said " + string(body)})
			_ = conn.End()
		})
		evs, err := run(t, f, ssetest.URL+"/chat", sse.ClientOptions{
			Method: http.MethodPost, Body: []byte("hi"),
			Header: http.Header{"Accept": {"application/json, text/event-stream;q=0.9"}},
		})
		require.NoError(t, err)
		require.Len(t, evs, 1)
		assert.Equal(t, "you said hi", evs[0].Data)
		r := f.Journal("POST /chat")[0]
		assert.Equal(t, []any{"POST", "hi", 200, "text/event-stream"}, []any{r.Method, string(r.Body), r.Status, r.Header.Get("Accept")})

		// Any Accept header (or none) is matched, and recorded.
		for _, accept := range []string{"application/json", "*/*", ""} {
			req, _ := http.NewRequest(http.MethodPost, ssetest.URL+"/chat", strings.NewReader("x"))
			if accept != "" {
				req.Header.Set("Accept", accept)
			}
			resp, err := f.Client().Do(req)
			require.NoError(t, err)
			assert.Equal(t, http.StatusNoContent, resp.StatusCode)
			resp.Body.Close()
		}
		j := f.Journal("POST /chat")
		require.Len(t, j, 5)
		assert.Equal(t, []string{"application/json", "*/*", ""},
			[]string{j[2].Header.Get("Accept"), j[3].Header.Get("Accept"), j[4].Header.Get("Accept")})
	})
}

func TestNoNetworkInProcess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := ssetest.New(t)
		f.Handle("GET /feed", ssetest.Stream(ssetest.Data("in memory"), ssetest.End()))
		// Nothing listens on port 1, and a socket would not work in a synctest bubble.
		resp, err := f.Client().Get("http://127.0.0.1:1/feed")
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, ": ok\ndata: in memory\n\n", string(b))
		assert.Equal(t, "http://127.0.0.1:1/feed", f.Journal("")[0].URL)
	})
}

func TestARefusedRouteAnswersThroughServerRefuse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := ssetest.New(t)
		f.Route(ssetest.Route{Pattern: "GET /feed", Answers: []ssetest.Answer{ssetest.Stream(ssetest.Data("never"))},
			Options: ssetest.Options{Refuse: &ssetest.Refusal{Status: 503, Header: ssetest.Header("Retry-After", "7"), Body: "later"}}})
		resp, err := f.Client().Get(ssetest.URL + "/feed")
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, 503, resp.StatusCode)
		assert.Equal(t, "7", resp.Header.Get("Retry-After"))
		assert.Equal(t, "later\n", string(b), "http.Error's body, as server.Options.Refuse writes it")
		assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
		assert.Equal(t, ssetest.OutcomeRefused, f.Settled(t, "", 1)[0].Outcome, "recorded when the handler returns, after the client read the body")
	})
}

func TestReplayAfterLastEventIDComesFromTheServersBuffer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := ssetest.New(t)
		f.Route(ssetest.Route{Pattern: "GET /news", Answers: []ssetest.Answer{ssetest.Stream()},
			Options: ssetest.Options{Topics: []string{"news"}, ReplaySize: 10, AutoID: true, HeartbeatInterval: -1}})
		resp, err := f.Client().Get(ssetest.URL + "/news")
		require.NoError(t, err)
		f.NextConn(t, "GET /news")
		ids, err := f.Publish("news", sse.Event{Data: "one"})
		require.NoError(t, err)
		require.Len(t, ids, 1)
		_, err = f.Publish("news", sse.Event{Data: "two"})
		require.NoError(t, err)
		resp.Body.Close()

		req, _ := http.NewRequest(http.MethodGet, ssetest.URL+"/news", nil)
		req.Header.Set("Last-Event-ID", ids[0])
		resp, err = f.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, "complete", resp.Header.Get(sse.HeaderReplay), "the server's resume status")
		buf := make([]byte, 1024)
		var got strings.Builder
		for !strings.Contains(got.String(), "data: two") {
			n, err := resp.Body.Read(buf)
			require.NoError(t, err)
			got.Write(buf[:n])
		}
		assert.NotContains(t, got.String(), "data: one")
		assert.Regexp(t, `^: ok\nid: [0-9a-f]+-2\ndata: two\n\n$`, got.String())
	})
}
