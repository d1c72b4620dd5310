package eventsource_test

// The client over bodies that push their bytes (eventsource.Pusher, what the WebAssembly
// binding's fetch body is), the status reported after a stream had opened, and body
// failures that make reconnecting futile. Self-contained: a scripted transport whose
// bodies push from a goroutine of their own, or are plain readers.

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/eventsource"
	"github.com/polysse/sse/internal/wire"
)

// pushStep is one step of a pushing body's script: a chunk to deliver, a pause, or (err
// set) the end of the body.
type pushStep struct {
	chunk string
	wait  clock.Duration
	err   error
	hang  bool // wait until the attempt is cancelled, then end with its error
}

// pushBody is a Response.Body that implements eventsource.Pusher: a goroutine of its own
// delivers its script, and ends with the attempt's error once the attempt is cancelled.
type pushBody struct {
	ctx    eventsource.Context
	script []pushStep

	mu        sync.Mutex
	after     int // deliver calls made after deliver returned false
	refused   bool
	done      chan struct{}
	closeOnce sync.Once
}

func (b *pushBody) Read([]byte) (int, error) { return 0, errors.New("pushBody: use Push") }

func (b *pushBody) Close() error {
	b.closeOnce.Do(func() { close(b.done) })
	return nil
}

func (b *pushBody) Push(deliver func([]byte, error) bool) {
	call := func(chunk []byte, err error) bool {
		b.mu.Lock()
		if b.refused {
			b.after++
		}
		b.mu.Unlock()
		more := deliver(chunk, err)
		if !more {
			b.mu.Lock()
			b.refused = true
			b.mu.Unlock()
		}
		return more
	}
	go func() {
		for _, s := range b.script {
			switch {
			case s.hang:
				<-b.ctx.Done()
				call(nil, b.ctx.Err())
				return
			case s.wait > 0:
				select {
				case <-time.After(time.Duration(s.wait)):
				case <-b.ctx.Done():
					call(nil, b.ctx.Err())
					return
				}
			case s.err != nil:
				call(nil, s.err)
				return
			default:
				if !call([]byte(s.chunk), nil) {
					return
				}
			}
		}
		call(nil, io.EOF)
	}()
}

// pushTransport answers each attempt with a 200 event stream whose body is made by the
// next of bodies (the last one again when they run out).
func pushTransport(bodies ...func(ctx eventsource.Context) io.ReadCloser) eventsource.Transport {
	var mu sync.Mutex
	n := 0
	return eventsource.TransportFunc(func(ctx eventsource.Context, _ *eventsource.Request) (*eventsource.Response, error) {
		mu.Lock()
		i := min(n, len(bodies)-1)
		n++
		mu.Unlock()
		return &eventsource.Response{
			StatusCode: 200, StatusText: "OK",
			Header: eventsource.Header{"Content-Type": {"text/event-stream"}},
			Body:   bodies[i](ctx),
		}, nil
	})
}

func pushed(script ...pushStep) func(eventsource.Context) io.ReadCloser {
	return func(ctx eventsource.Context) io.ReadCloser {
		return &pushBody{ctx: ctx, script: script, done: make(chan struct{})}
	}
}

func read(stream string, err error) func(eventsource.Context) io.ReadCloser {
	return func(eventsource.Context) io.ReadCloser {
		return io.NopCloser(io.MultiReader(strings.NewReader(stream), errReader{err}))
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// pushTrace runs a client with opts and records its callbacks as lines.
type pushTrace struct {
	mu    sync.Mutex
	lines []string
	errs  []*eventsource.ErrorInfo
	close *eventsource.CloseInfo
}

func (tr *pushTrace) add(format string, args ...any) {
	tr.mu.Lock()
	tr.lines = append(tr.lines, fmt.Sprintf(format, args...))
	tr.mu.Unlock()
}

func (tr *pushTrace) options(c **eventsource.Client, opts eventsource.ClientOptions) *eventsource.ClientOptions {
	opts.OnOpen = func(r *eventsource.Response) { tr.add("open %d", r.StatusCode) }
	opts.OnEvent = func(ev wire.Event) { tr.add("event %s id=%s %q", ev.Type, ev.ID, ev.Data) }
	opts.OnDrain = func() { tr.add("drain") }
	onError := opts.OnError
	opts.OnError = func(e *eventsource.ErrorInfo) {
		tr.add("error %v attempt=%d status=%d(%s) permanent=%t eof=%t", (*c).ReadyState(), e.Attempt, e.Status, e.StatusText,
			errors.Is(e.Err, eventsource.ErrPermanent), errors.Is(e.Err, io.EOF))
		tr.mu.Lock()
		tr.errs = append(tr.errs, e)
		tr.mu.Unlock()
		if onError != nil {
			onError(e)
		}
	}
	opts.OnClose = func(ci *eventsource.CloseInfo) {
		tr.add("close %s fatal=%t status=%d(%s) data=%q", ci.Reason, ci.Fatal, ci.Status, ci.StatusText, ci.Data)
		tr.mu.Lock()
		tr.close = ci
		tr.mu.Unlock()
	}
	return &opts
}

var errDropped = errors.New("connection lost")

// permanentError is a transport error that wraps eventsource.ErrPermanent without adding
// to its text.
type permanentError struct{ msg string }

func (e permanentError) Error() string   { return e.msg }
func (e permanentError) Is(t error) bool { return t == eventsource.ErrPermanent }

func TestClientPushedBody(t *testing.T) {
	closeOnError := func(c **eventsource.Client) func(*eventsource.ErrorInfo) {
		return func(*eventsource.ErrorInfo) { (*c).Close() }
	}
	for _, tc := range []struct {
		name   string
		opts   eventsource.ClientOptions
		bodies []func(eventsource.Context) io.ReadCloser
		close  bool // Close from OnError
		want   []string
	}{
		{
			name: "chunks split anywhere are parsed and dispatched inside deliver, with a drain per chunk",
			bodies: []func(eventsource.Context) io.ReadCloser{pushed(
				pushStep{chunk: "id: 1\ndata: a"}, pushStep{chunk: "b\n\nevent: x\nda"}, pushStep{chunk: "ta: c\n\ndata: d\n\n"},
			)},
			close: true,
			want: []string{
				"open 200",
				`event message id=1 "ab"`, "drain",
				`event x id=1 "c"`, `event message id=1 "d"`, "drain",
				"error CONNECTING attempt=1 status=0() permanent=false eof=true",
				`close local fatal=false status=0() data=""`,
			},
		},
		{
			name: "a complete event ends the stream from inside deliver",
			opts: eventsource.ClientOptions{CompleteEvent: "done"},
			bodies: []func(eventsource.Context) io.ReadCloser{pushed(
				pushStep{chunk: "data: a\n\nevent: done\ndata: bye\n\ndata: never\n\n"},
			)},
			want: []string{"open 200", `event message id= "a"`, `event done id= "bye"`, `close complete fatal=false status=0() data="bye"`},
		},
		{
			name:   "a pushed failure that wraps ErrPermanent closes with network, as a failed request does",
			bodies: []func(eventsource.Context) io.ReadCloser{pushed(pushStep{chunk: "data: a\n\n"}, pushStep{err: permanentError{"the page stopped loading"}})},
			want: []string{
				"open 200", `event message id= "a"`, "drain",
				"error CLOSED attempt=1 status=0() permanent=true eof=false",
				`close network fatal=true status=0() data=""`,
			},
		},
		{
			name:   "so does a read error that wraps ErrPermanent",
			bodies: []func(eventsource.Context) io.ReadCloser{read("data: a\n\n", permanentError{"the page stopped loading"})},
			want: []string{
				"open 200", `event message id= "a"`, "drain",
				"error CLOSED attempt=1 status=0() permanent=true eof=false",
				`close network fatal=true status=0() data=""`,
			},
		},
		{
			name:   "an error after the stream opened has no status, pushed or read",
			opts:   eventsource.ClientOptions{Retry: eventsource.RetryPolicy{Initial: clock.Millisecond, MaxAttempts: 1, ResetAfter: clock.Hour}},
			bodies: []func(eventsource.Context) io.ReadCloser{pushed(pushStep{err: errDropped}), read("", io.EOF)},
			want: []string{
				"open 200", "error CONNECTING attempt=1 status=0() permanent=false eof=false",
				"open 200", "error CLOSED attempt=2 status=0() permanent=false eof=true",
				`close retry-limit fatal=true status=0() data=""`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			var c *eventsource.Client
			var tr pushTrace
			opts := tc.opts
			opts.Transport = pushTransport(tc.bodies...)
			if tc.close {
				opts.OnError = closeOnError(&c)
			}
			c = eventsource.NewClient("http://example.test/events", tr.options(&c, opts))
			_ = c.Run(nil)
			assert.Equal(t, tc.want, tr.lines)
		})
	}
}

// TestClientPushedBodyStops: once deliver returns false, the body is not delivered to
// again, and Run returns.
func TestClientPushedBodyStops(t *testing.T) {
	checkLeaks(t)
	var body *pushBody
	transport := eventsource.TransportFunc(func(ctx eventsource.Context, _ *eventsource.Request) (*eventsource.Response, error) {
		body = &pushBody{ctx: ctx, done: make(chan struct{}), script: []pushStep{
			{chunk: "event: done\ndata: x\n\n"}, {chunk: "data: after\n\n"},
		}}
		return &eventsource.Response{StatusCode: 200, Header: eventsource.Header{"Content-Type": {"text/event-stream"}}, Body: body}, nil
	})
	c := eventsource.NewClient("http://example.test/", &eventsource.ClientOptions{Transport: transport, CompleteEvent: "done"})
	require.NoError(t, c.Run(nil))
	<-body.done // closed by the client
	body.mu.Lock()
	defer body.mu.Unlock()
	assert.True(t, body.refused, "deliver returned false")
	assert.Zero(t, body.after, "no deliver call after deliver returned false")
	assert.Equal(t, eventsource.CloseComplete, c.CloseInfo().Reason)
}

// TestClientPushedBodyPanic: a callback that panics inside deliver closes the client and
// the panic continues up the Run call, as with a body that is read.
func TestClientPushedBodyPanic(t *testing.T) {
	checkLeaks(t)
	closed := false
	c := eventsource.NewClient("http://example.test/", &eventsource.ClientOptions{
		Transport: pushTransport(pushed(pushStep{chunk: "data: boom\n\n"}, pushStep{hang: true})),
		OnEvent:   func(ev wire.Event) { panic("listener: " + ev.Data) },
		OnClose:   func(*eventsource.CloseInfo) { closed = true },
	})
	assert.PanicsWithValue(t, "listener: boom", func() { _ = c.Run(nil) })
	assert.True(t, closed, "OnClose ran")
	assert.Equal(t, eventsource.StateClosed, c.ReadyState())
}

// TestClientSynctestPushedHeartbeat: the heartbeat watchdog counts silence from the last
// chunk a body pushed, exactly, and time spent in callbacks does not count.
func TestClientSynctestPushedHeartbeat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var c *eventsource.Client
		var at []clock.Duration
		c = eventsource.NewClient("http://example.test/", &eventsource.ClientOptions{
			HeartbeatTimeout: 2 * clock.Second,
			Transport: pushTransport(pushed(
				pushStep{chunk: "data: a\n\n"}, pushStep{wait: 1900 * clock.Millisecond},
				pushStep{chunk: "data: b\n\n"}, pushStep{wait: 1900 * clock.Millisecond},
				pushStep{chunk: ": c\n"}, pushStep{hang: true},
			)),
			OnEvent: func(wire.Event) { sleep(5 * clock.Second) }, // not server silence
			OnError: func(e *eventsource.ErrorInfo) {
				assert.ErrorIs(t, e.Err, eventsource.ErrHeartbeatTimeout)
				at = append(at, since(start))
				c.Close()
			},
		})
		_ = c.Run(nil)
		// a at 0 (+5 s in OnEvent), b at 6.9 s (+5 s), the comment at 13.8 s, silence from
		// there: the timeout at 15.8 s.
		assert.Equal(t, []clock.Duration{15800 * clock.Millisecond}, at)
	})
}
