package sse_test

// The public Client is the state machine of internal/eventsource (whose tests cover its
// behaviour in full, over an in-memory transport and over real HTTP) behind net/http and
// the public types. These tests cover what this package adds: every option reaches the
// state machine or the request, the hooks see net/http's types, the context is a real
// context.Context, and the info and error types convert. Each runs in a testing/synctest
// bubble against the fake SSE server (package ssetest) over its in-memory transport, so
// that time is fake and a goroutine left behind fails the test.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse"
	"github.com/polysse/sse/internal/eventsource"
	"github.com/polysse/sse/ssetest"
)

// reply is one scripted response: an answer of the fake SSE server (package ssetest).
type reply = ssetest.Answer

// stream is a 200 text/event-stream response with body, ending after it.
func stream(body string) reply {
	return ssetest.Respond(200, ssetest.Header("Content-Type", "text/event-stream"), ssetest.RawBytes([]byte(body)), ssetest.End())
}

// held is stream that stays open after body, with extra header pairs.
func held(body string, header ...string) reply {
	h := ssetest.Header(append([]string{"Content-Type", "text/event-stream"}, header...)...)
	return ssetest.Respond(200, h, ssetest.RawBytes([]byte(body)), ssetest.Hold())
}

// status is a response with status and header pairs and no body.
func status(code int, header ...string) reply {
	return ssetest.Respond(code, ssetest.Header(header...))
}

// inBubble runs f in a synctest bubble with a fake server answering every request with
// replies, in order (the last repeats), in memory.
func inBubble(t *testing.T, replies []reply, f func(t *testing.T, srv *ssetest.Fake)) {
	synctest.Test(t, func(t *testing.T) {
		srv := ssetest.New(t)
		srv.Handle("/", replies...)
		f(t, srv)
	})
}

func TestClientOptionsReachTheRequest(t *testing.T) {
	inBubble(t, []reply{stream("id: 7\ndata: x\n\n"), status(204)}, func(t *testing.T, srv *ssetest.Fake) {
		type key struct{}
		ctx := context.WithValue(t.Context(), key{}, "value")
		var prepared []string
		c := sse.NewClient("http://sse.test/s?lei=stale&a=1", &sse.ClientOptions{
			Method:           "POST",
			Header:           http.Header{"X-Static": {"s"}, "x-lower": {"l"}},
			Body:             []byte(`{"q":1}`),
			HTTPClient:       srv.Client(),
			LastEventID:      "seed",
			LastEventIDQuery: "lei",
			Retry:            sse.RetryPolicy{Initial: time.Second},
			PrepareRequest: func(req *http.Request) error {
				prepared = append(prepared, req.Header.Get("Last-Event-ID"))
				req.Header.Set("Authorization", fmt.Sprintf("Bearer %d", len(prepared)))
				assert.Equal(t, "value", req.Context().Value(key{}), "the context given to Run reaches the request")
				return nil
			},
		})
		require.NoError(t, c.Run(ctx))
		assert.Equal(t, []string{"seed", "7"}, prepared, "PrepareRequest runs per attempt, on the final request")
		reqs := srv.Journal("")
		require.Len(t, reqs, 2)
		for i, want := range []struct{ query, id, auth string }{{"lei=seed&a=1", "seed", "Bearer 1"}, {"a=1&lei=7", "7", "Bearer 2"}} {
			r := reqs[i]
			assert.Equal(t, "POST", r.Method)
			assert.Equal(t, []string{want.id}, r.Query["lei"], "request %d: the parameter replaces the stale one", i)
			assert.Equal(t, want.id, r.Header.Get("Last-Event-ID"))
			assert.Equal(t, want.auth, r.Header.Get("Authorization"))
			assert.Equal(t, "s", r.Header.Get("X-Static"))
			assert.Equal(t, "l", r.Header.Get("X-Lower"))
			assert.Equal(t, "text/event-stream", r.Header.Get("Accept"))
			assert.Equal(t, `{"q":1}`, string(r.Body))
		}
	})
}

func TestClientPrepareRequest(t *testing.T) {
	t.Run("an error fails the attempt, which is retried", func(t *testing.T) {
		inBubble(t, []reply{held("data: x\n\n")}, func(t *testing.T, srv *ssetest.Fake) {
			boom := errors.New("token refresh failed")
			calls := 0
			var errs []error
			c := sse.NewClient("http://sse.test/s", &sse.ClientOptions{
				HTTPClient: srv.Client(),
				Retry:      sse.RetryPolicy{Initial: time.Second},
				PrepareRequest: func(*http.Request) error {
					if calls++; calls == 1 {
						return boom
					}
					return nil
				},
				OnError: func(ei *sse.ErrorInfo) { errs = append(errs, ei.Err) },
				OnEvent: func(sse.Event) {},
			})
			c2 := make(chan error)
			go func() { c2 <- c.Run(t.Context()) }()
			time.Sleep(time.Second) // the backoff after the failed attempt
			synctest.Wait()
			assert.Equal(t, sse.StateOpen, c.ReadyState())
			c.Close()
			require.NoError(t, <-c2)
			require.Len(t, errs, 1)
			assert.ErrorIs(t, errs[0], boom)
			assert.Len(t, srv.Journal(""), 1)
		})
	})
	t.Run("Close ends a PrepareRequest that waits on the context", func(t *testing.T) {
		inBubble(t, []reply{held("")}, func(t *testing.T, srv *ssetest.Fake) {
			var ctxErr error
			c := sse.NewClient("http://sse.test/s", &sse.ClientOptions{
				HTTPClient: srv.Client(),
				PrepareRequest: func(req *http.Request) error {
					<-req.Context().Done()
					ctxErr = req.Context().Err()
					return ctxErr
				},
			})
			done := make(chan error)
			go func() { done <- c.Run(t.Context()) }()
			synctest.Wait()
			c.Close()
			require.NoError(t, <-done)
			assert.Equal(t, context.Canceled, ctxErr, "a standard context: Err is context.Canceled")
			assert.Empty(t, srv.Journal(""))
			assert.Equal(t, sse.CloseLocal, c.CloseInfo().Reason)
		})
	})
}

func TestClientHooksSeeNetHTTPTypes(t *testing.T) {
	replies := []reply{
		status(503, "Retry-After", "5"),
		held("data: x\n\n"),
	}
	inBubble(t, replies, func(t *testing.T, srv *ssetest.Fake) {
		var classified []int
		var opened *http.Response
		start := time.Now()
		c := sse.NewClient("http://sse.test/s", &sse.ClientOptions{
			HTTPClient: srv.Client(),
			Retry:      sse.RetryPolicy{Initial: time.Second},
			Classify: func(r *http.Response) sse.Verdict {
				classified = append(classified, r.StatusCode)
				if r.StatusCode == 503 {
					return sse.VerdictRetry
				}
				return sse.VerdictDefault
			},
			OnOpen: func(r *http.Response) { opened = r },
		})
		for ev, err := range c.Events(t.Context()) {
			require.NoError(t, err)
			assert.Equal(t, sse.Event{Type: "message", Data: "x"}, ev)
			break
		}
		assert.Equal(t, []int{503, 200}, classified)
		require.NotNil(t, opened)
		assert.Equal(t, 200, opened.StatusCode)
		assert.Equal(t, "text/event-stream", opened.Header.Get("Content-Type"))
		assert.Equal(t, "http://sse.test/s", opened.Request.URL.String())
		reqs := srv.Journal("")
		require.Len(t, reqs, 2)
		assert.Equal(t, 5*time.Second, time.Since(start), "Retry-After honoured")
		assert.Equal(t, sse.CloseLocal, c.CloseInfo().Reason, "break closes the client")
	})
}

func retryAll(*http.Response) sse.Verdict { return sse.VerdictRetry }

func TestClientClose(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   sse.ClientOptions
		reply  reply
		reason sse.CloseReason
		fatal  bool
		data   string
		err    error
	}{
		{"complete event", sse.ClientOptions{CompleteEvent: sse.EventComplete}, held("event: complete\ndata: {}\n\n"), sse.CloseComplete, false, "{}", nil},
		{"fatal event", sse.ClientOptions{FatalEvent: sse.EventFatal}, held("event: fatal\ndata: boom\n\n"), sse.CloseFatal, true, "boom", nil},
		{"SSE-Outcome fatal", sse.ClientOptions{}, status(204, sse.HeaderOutcome, string(sse.OutcomeFatal)), sse.CloseFatal, true, "", nil},
		{"204", sse.ClientOptions{}, status(204), sse.CloseNoContent, false, "", nil},
		{"401", sse.ClientOptions{}, status(401), sse.CloseHTTPStatus, true, "", nil},
		{"text/plain", sse.ClientOptions{}, status(200, "Content-Type", "text/plain"), sse.CloseContentType, true, "", nil},
		{"MaxEventSize", sse.ClientOptions{MaxEventSize: 8}, held("data: 0123456789\n\n"), sse.CloseEventTooLarge, true, "", sse.ErrEventTooLarge},
		{"retry limit", sse.ClientOptions{Retry: sse.RetryPolicy{MaxAttempts: 1}, Classify: retryAll}, status(503), sse.CloseRetryLimit, true, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inBubble(t, []reply{tc.reply}, func(t *testing.T, srv *ssetest.Fake) {
				var closed *sse.CloseInfo
				opts := tc.opts
				opts.HTTPClient = srv.Client()
				opts.OnClose = func(ci *sse.CloseInfo) { closed = ci }
				c := sse.NewClient("http://sse.test/s", &opts)
				assert.Nil(t, c.CloseInfo(), "before closing")
				err := c.Run(t.Context())
				require.NotNil(t, closed)
				assert.Same(t, closed, c.CloseInfo(), "CloseInfo returns what OnClose got")
				assert.Equal(t, tc.reason, closed.Reason)
				assert.Equal(t, tc.fatal, closed.Fatal)
				assert.Equal(t, tc.data, closed.Data)
				assert.Equal(t, sse.StateClosed, c.ReadyState())
				<-c.Done()
				if !tc.fatal {
					assert.NoError(t, err)
					return
				}
				var ce *sse.CloseError
				require.ErrorAs(t, fmt.Errorf("wrapped: %w", err), &ce)
				assert.Same(t, closed, ce.CloseInfo, "the error carries the CloseInfo")
				if tc.err != nil {
					assert.ErrorIs(t, err, tc.err)
				}
			})
		})
	}
}

func TestClientCloseErrorMessage(t *testing.T) {
	inBubble(t, []reply{status(401)}, func(t *testing.T, srv *ssetest.Fake) {
		err := sse.NewClient("http://sse.test/s", &sse.ClientOptions{HTTPClient: srv.Client()}).Run(t.Context())
		assert.EqualError(t, err, "sse: closed: http-status (status 401 Unauthorized)")
		ce := err.(*sse.CloseError)
		assert.Equal(t, sse.CloseInfo{Reason: sse.CloseHTTPStatus, Fatal: true, Status: 401, StatusText: "Unauthorized"}, *ce.CloseInfo)
		assert.NoError(t, errors.Unwrap(err))
	})
}

// TestClientCloseErrorAfterOpenedStreams: when the retry limit ends a client whose
// attempts opened streams that then ended or dropped, the CloseError reports no status
// (those 200s said nothing about the failure) and words the end for people: no bare EOF.
func TestClientCloseErrorAfterOpenedStreams(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply reply
		msg   string
		is    error
	}{
		{"ended", stream("data: a\n\n"), "sse: closed: retry-limit: the server ended the response", io.EOF},
		{"ended mid-event", stream("data: a\n"), "sse: closed: retry-limit: the server ended the response", io.EOF}, // the incomplete event is dropped
		{"dropped", ssetest.Stream(ssetest.Event(sse.Event{Data: "a"}), ssetest.Drop()), "", io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inBubble(t, []reply{tc.reply}, func(t *testing.T, srv *ssetest.Fake) {
				var statuses []int
				err := sse.NewClient("http://sse.test/s", &sse.ClientOptions{
					HTTPClient: srv.Client(),
					Retry:      sse.RetryPolicy{MaxAttempts: 2},
					OnError:    func(e *sse.ErrorInfo) { statuses = append(statuses, e.Status) },
				}).Run(t.Context())
				var ce *sse.CloseError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, sse.CloseRetryLimit, ce.Reason)
				assert.Zero(t, ce.Status, "status")
				assert.Empty(t, ce.StatusText, "status text")
				assert.Equal(t, []int{0, 0, 0}, statuses, "the error events' statuses")
				assert.NotContains(t, err.Error(), "status")
				assert.NotRegexp(t, `retry-limit: (unexpected )?EOF$`, err.Error(), "a bare end of input")
				if tc.msg != "" {
					assert.EqualError(t, err, tc.msg)
				}
				if tc.is != nil {
					assert.ErrorIs(t, err, tc.is, "the cause stays testable")
				}
			})
		})
	}
}

// TestClientCloseErrorWordsBareEOF: the bare end-of-input errors of io are worded in a
// CloseError's message (a transport may return them as they are), and stay its cause.
func TestClientCloseErrorWordsBareEOF(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{io.EOF, "sse: closed: network: the server ended the response"},
		{io.ErrUnexpectedEOF, "sse: closed: network: the connection was lost before the response ended"},
		{fmt.Errorf("read body: %w", io.ErrUnexpectedEOF), "sse: closed: network: read body: unexpected EOF"},
	} {
		err := &sse.CloseError{CloseInfo: &sse.CloseInfo{Reason: sse.CloseNetwork, Fatal: true, Err: tc.err}}
		assert.EqualError(t, err, tc.want)
		assert.ErrorIs(t, err, tc.err)
	}
}

func TestClientUnsendableRequest(t *testing.T) {
	inBubble(t, []reply{stream("")}, func(t *testing.T, srv *ssetest.Fake) {
		err := sse.NewClient("http://[::1", &sse.ClientOptions{HTTPClient: srv.Client()}).Run(t.Context())
		var ce *sse.CloseError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, sse.CloseNetwork, ce.Reason)
		var urlErr *url.Error
		assert.ErrorAs(t, err, &urlErr, "the net/url error is kept")
		assert.Empty(t, srv.Journal(""))
	})
}

func TestClientEventsFailure(t *testing.T) {
	inBubble(t, []reply{stream("data: 1\n\n"), status(500)}, func(t *testing.T, srv *ssetest.Fake) {
		var evs []string
		var last error
		c := sse.NewClient("http://sse.test/s", &sse.ClientOptions{HTTPClient: srv.Client(), Retry: sse.RetryPolicy{Initial: time.Millisecond}})
		for ev, err := range c.Events(t.Context()) {
			if err != nil {
				assert.Zero(t, ev)
				last = err
				continue
			}
			evs = append(evs, ev.Data)
		}
		assert.Equal(t, []string{"1"}, evs)
		var ce *sse.CloseError
		require.ErrorAs(t, last, &ce)
		assert.Equal(t, sse.CloseHTTPStatus, ce.Reason)
		assert.Same(t, c.CloseInfo(), ce.CloseInfo)
		var again []error
		for _, err := range c.Events(t.Context()) {
			again = append(again, err)
		}
		require.Len(t, again, 1, "a second Events loop yields one error")
		assert.ErrorIs(t, again[0], sse.ErrAlreadyStarted)
		assert.ErrorIs(t, c.Run(t.Context()), sse.ErrAlreadyStarted)
	})
}

func TestClientTiming(t *testing.T) {
	t.Run("RetryPolicy reaches the backoff", func(t *testing.T) {
		inBubble(t, []reply{status(503)}, func(t *testing.T, srv *ssetest.Fake) {
			var retryIns []time.Duration
			c := sse.NewClient("http://sse.test/s", &sse.ClientOptions{
				HTTPClient: srv.Client(),
				Classify:   retryAll,
				Retry:      sse.RetryPolicy{Initial: time.Second, Multiplier: 3, Max: 5 * time.Second, MaxAttempts: 3},
				OnError: func(ei *sse.ErrorInfo) {
					if ei.RetryIn > 0 {
						retryIns = append(retryIns, ei.RetryIn)
					}
				},
			})
			start := time.Now()
			err := c.Run(t.Context())
			assert.Equal(t, sse.CloseRetryLimit, err.(*sse.CloseError).Reason)
			assert.Equal(t, []time.Duration{time.Second, 3 * time.Second, 5 * time.Second}, retryIns)
			assert.Equal(t, 9*time.Second, time.Since(start))
		})
	})
	t.Run("HeartbeatTimeout and HeartbeatAuto reach the watchdog", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			opts sse.ClientOptions
			hdr  string
			want time.Duration
		}{
			{"HeartbeatTimeout", sse.ClientOptions{HeartbeatTimeout: 10 * time.Second}, "", 10 * time.Second},
			{"HeartbeatAuto", sse.ClientOptions{HeartbeatAuto: true}, "3000", 4 * time.Second},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := held("")
				if tc.hdr != "" {
					r = held("", sse.HeaderHeartbeatInterval, tc.hdr)
				}
				inBubble(t, []reply{r}, func(t *testing.T, srv *ssetest.Fake) {
					errs := make(chan error, 1)
					opts := tc.opts
					opts.HTTPClient = srv.Client()
					opts.Retry = sse.RetryPolicy{Initial: time.Hour}
					opts.OnError = func(ei *sse.ErrorInfo) { errs <- ei.Err }
					c := sse.NewClient("http://sse.test/s", &opts)
					start := time.Now()
					done := make(chan error)
					go func() { done <- c.Run(t.Context()) }()
					assert.ErrorIs(t, <-errs, sse.ErrHeartbeatTimeout)
					assert.Equal(t, tc.want, time.Since(start), "the attempt is aborted after the timeout, not before")
					c.Close()
					require.NoError(t, <-done)
				})
			})
		}
	})
}

func TestClientRedirect(t *testing.T) {
	replies := []reply{
		status(307, "Location", "/final?x=1"),
		stream("id: 1\ndata: a\n\n"),
		status(204),
	}
	inBubble(t, replies, func(t *testing.T, srv *ssetest.Fake) {
		c := sse.NewClient("http://sse.test/start", &sse.ClientOptions{HTTPClient: srv.Client(), Retry: sse.RetryPolicy{Initial: time.Millisecond}})
		require.NoError(t, c.Run(t.Context()))
		var urls []string
		for _, r := range srv.Journal("") {
			urls = append(urls, r.URL)
		}
		assert.Equal(t, []string{"http://sse.test/start", "http://sse.test/final?x=1", "http://sse.test/final?x=1"}, urls,
			"net/http follows the redirect; the reconnect goes where it led")
	})
}

func TestReadyState(t *testing.T) {
	for _, tc := range []struct {
		s    sse.ReadyState
		want string
	}{{sse.StateConnecting, "CONNECTING"}, {sse.StateOpen, "OPEN"}, {sse.StateClosed, "CLOSED"}, {7, "ReadyState(7)"}} {
		assert.Equal(t, tc.want, tc.s.String())
	}
	assert.Equal(t, []sse.ReadyState{0, 1, 2}, []sse.ReadyState{sse.StateConnecting, sse.StateOpen, sse.StateClosed}, "EventSource's values")
}

// TestEnumsMatchTheStateMachine: the public enums convert to and from the state
// machine's by value, so their values must be the same.
func TestEnumsMatchTheStateMachine(t *testing.T) {
	assert.Equal(t,
		[]eventsource.ReadyState{eventsource.StateConnecting, eventsource.StateOpen, eventsource.StateClosed},
		[]eventsource.ReadyState{eventsource.ReadyState(sse.StateConnecting), eventsource.ReadyState(sse.StateOpen), eventsource.ReadyState(sse.StateClosed)})
	assert.Equal(t,
		[]eventsource.Verdict{eventsource.VerdictDefault, eventsource.VerdictOpen, eventsource.VerdictRetry, eventsource.VerdictFatal},
		[]eventsource.Verdict{eventsource.Verdict(sse.VerdictDefault), eventsource.Verdict(sse.VerdictOpen), eventsource.Verdict(sse.VerdictRetry), eventsource.Verdict(sse.VerdictFatal)})
	for _, pair := range [][2]string{
		{string(sse.CloseLocal), string(eventsource.CloseLocal)},
		{string(sse.CloseComplete), string(eventsource.CloseComplete)},
		{string(sse.CloseFatal), string(eventsource.CloseFatal)},
		{string(sse.CloseHTTPStatus), string(eventsource.CloseHTTPStatus)},
		{string(sse.CloseContentType), string(eventsource.CloseContentType)},
		{string(sse.CloseNoContent), string(eventsource.CloseNoContent)},
		{string(sse.CloseRetryLimit), string(eventsource.CloseRetryLimit)},
		{string(sse.CloseNetwork), string(eventsource.CloseNetwork)},
		{string(sse.CloseEventTooLarge), string(eventsource.CloseEventTooLarge)},
	} {
		assert.Equal(t, pair[1], pair[0])
	}
	assert.Equal(t, "fatal", string(sse.CloseFatal), "the outcome word, as the server and the JavaScript client use it")
}
