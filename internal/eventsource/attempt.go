package eventsource

import (
	"errors"
	"io"
	"math"
	"sync"

	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/httplite"
	"github.com/polysse/sse/internal/protocol"
	"github.com/polysse/sse/internal/scan"
	"github.com/polysse/sse/internal/wire"
)

// outcome is how one connection attempt ended.
type outcome struct {
	close  *CloseInfo // close with this; nil means reconnect
	status int
	text   string
	err    error
	// healthy: the connection opened and stayed open for RetryPolicy.ResetAfter
	healthy bool
	after   clock.Duration // the Retry-After of a response classified VerdictRetry
}

// connect makes one attempt and reads its stream until it ends. Each step has its own
// function: build the request, send it under the heartbeat watchdog, follow a redirect,
// judge the response, announce the connection, read and dispatch the stream.
func (c *Client) connect(run, round *scope, t Transport, p *wire.Parser, onEvent func(wire.Event)) outcome {
	a := &attempt{c: c, run: run, round: round, ctx: newScope(round), p: p, onEvent: onEvent}
	defer a.ctx.cancel(ErrClosed)
	req, err := c.request(a.ctx)
	if err != nil {
		return outcome{err: err}
	}
	if c.stopped(run) { // closed while HeaderFunc ran
		return outcome{}
	}
	a.wd = &watchdog{clock: c.opts.Clock, timeout: c.opts.HeartbeatTimeout, abort: a.ctx.cancel}
	defer a.wd.stop()
	a.wd.arm() // from the request on
	resp, o := a.send(t, req)
	if resp == nil {
		return o
	}
	defer resp.Body.Close()
	c.followRedirect(req, resp)
	o, open := c.judge(resp)
	if !open || !a.announce(resp) {
		return o
	}
	// Once the stream opened, its 200 says nothing about how it ended: what follows (an
	// error event, a close) reports no status.
	o = outcome{}
	opened := c.opts.Clock.Now()
	o.close, o.err = a.stream(resp.Body)
	o.healthy = c.opts.Clock.Now()-opened >= c.opts.Retry.resetAfter()
	return o
}

// request builds the request of one attempt: the configured method, body and headers, the
// headers of HeaderFunc, and the protocol's own (Accept, Cache-Control, Last-Event-ID and
// the LastEventIDQuery parameter).
func (c *Client) request(ctx Context) (*Request, error) {
	h := make(Header, len(c.opts.Header)+3)
	for k, v := range c.opts.Header {
		h[k] = v
	}
	if c.opts.HeaderFunc != nil {
		extra, err := c.opts.HeaderFunc(ctx)
		if err != nil {
			return nil, err
		}
		for k, v := range extra {
			h[httplite.CanonicalKey(k)] = v
		}
	}
	h.Set("Accept", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	id := c.LastEventID()
	if id != "" {
		h.Set(protocol.HeaderLastEventID, id)
	} else {
		h.Del(protocol.HeaderLastEventID)
	}
	method := c.opts.Method
	if method == "" {
		method = "GET"
	}
	u := c.url
	if q := c.opts.LastEventIDQuery; q != "" && id != "" {
		// A parameter of that name already in the URL would be read first by most
		// servers: replace it.
		u = httplite.AddQuery(httplite.RemoveQuery(u, q), q, id)
	}
	return &Request{Method: method, URL: u, Header: h, Body: c.opts.Body, WithCredentials: c.opts.WithCredentials}, nil
}

// followRedirect makes the next attempts go where the redirects of this one led, as
// browsers do, without the last event ID parameter (each attempt adds its own).
func (c *Client) followRedirect(req *Request, resp *Response) {
	if resp.URL == "" || resp.URL == req.URL {
		return
	}
	u := resp.URL
	if q := c.opts.LastEventIDQuery; q != "" {
		u = httplite.RemoveQuery(u, q)
	}
	c.url = u
}

// judge decides what a response means: open it as an event stream (open true), reconnect
// (o.close nil, with the Retry-After of a VerdictRetry in o.after), or close the client
// (o.close set). An SSE-Outcome header on a status other than 200 closes the client as it
// says, unclassified; otherwise Classify decides, or the specification's rule.
func (c *Client) judge(resp *Response) (o outcome, open bool) {
	o = outcome{status: resp.StatusCode, text: resp.StatusText}
	if resp.StatusCode != 200 {
		switch httplite.TrimOWS(resp.Header.Get(protocol.HeaderOutcome)) {
		case protocol.OutcomeComplete:
			o.close = &CloseInfo{Reason: CloseComplete, Status: o.status, StatusText: o.text}
			return o, false
		case protocol.OutcomeFatal:
			o.close = &CloseInfo{Reason: CloseFatal, Fatal: true, Status: o.status, StatusText: o.text}
			return o, false
		}
	}
	eventStream := isEventStream(resp.Header.Get("Content-Type"))
	verdict := VerdictDefault
	if c.opts.Classify != nil {
		verdict = c.opts.Classify(resp)
	}
	if verdict == VerdictDefault {
		verdict = VerdictFatal
		if resp.StatusCode == 200 && eventStream {
			verdict = VerdictOpen
		}
	}
	switch verdict {
	case VerdictOpen:
		return o, true
	case VerdictRetry:
		o.after = retryAfter(resp.Header.Get("Retry-After"), c.opts.Clock)
		return o, false
	}
	reason := CloseHTTPStatus
	switch {
	case resp.StatusCode == 204:
		reason = CloseNoContent
	case resp.StatusCode == 200 && !eventStream:
		reason = CloseContentType
	}
	o.close = &CloseInfo{Reason: reason, Fatal: reason != CloseNoContent, Status: o.status, StatusText: o.text}
	return o, false
}

// isEventStream reports whether a Content-Type value's MIME type essence is
// text/event-stream (parameters allowed).
func isEventStream(ct string) bool {
	if i := scan.IndexByteString(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return httplite.EqualFoldASCII(httplite.TrimOWS(ct), "text/event-stream")
}

// retryAfter parses a Retry-After value, in seconds or as an HTTP date; zero if absent or
// invalid.
func retryAfter(v string, clk clock.Clock) clock.Duration {
	v = httplite.TrimOWS(v)
	if v == "" {
		return 0
	}
	if s, ok := httplite.ParseDigits(v); ok {
		return clock.Duration(min(s, 1<<32)) * clock.Second
	}
	if t, ok := httplite.ParseHTTPDate(v); ok {
		return max(clock.Duration(httplite.NanosUntil(t, clk.UnixNano())), 0)
	}
	return 0
}

// attempt is the state of one connection attempt, on the goroutine that runs the client.
type attempt struct {
	c       *Client
	run     *scope // the run: done when the client closes
	round   *scope // the round (a child of run): done also when Restart drops the attempt
	ctx     *scope // this attempt (a child of round): cancelled when it ends, or by the watchdog
	wd      *watchdog
	p       *wire.Parser
	onEvent func(wire.Event)
}

// send performs the round trip. A failure is a network error to reconnect after, the
// heartbeat timeout when the watchdog aborted the request, or a close with CloseNetwork
// when the transport says reconnecting is futile (ErrPermanent).
func (a *attempt) send(t Transport, req *Request) (*Response, outcome) {
	resp, err := t.RoundTrip(a.ctx, req)
	if err == nil {
		return resp, outcome{}
	}
	if cause := a.ctx.Err(); cause == ErrHeartbeatTimeout {
		err = cause
	}
	if errors.Is(err, ErrPermanent) {
		return nil, outcome{close: &CloseInfo{Reason: CloseNetwork, Fatal: true, Err: err}}
	}
	return nil, outcome{err: err}
}

// announce moves the client to OPEN and calls OnOpen; it reports false when the client
// closed meanwhile. With HeartbeatAuto, the response's SSE-Heartbeat-Interval sets the
// watchdog's timeout from here on.
func (a *attempt) announce(resp *Response) bool {
	c := a.c
	if !c.state.CompareAndSwap(int32(StateConnecting), int32(StateOpen)) || a.run.Err() != nil {
		return false
	}
	if a.round.Err() != nil { // Restart came first: this connection never opened
		c.state.CompareAndSwap(int32(StateOpen), int32(StateConnecting))
		return false
	}
	a.wd.pause() // time spent in callbacks is not server silence
	if f := c.opts.OnOpen; f != nil {
		f(resp)
	}
	if c.opts.HeartbeatAuto {
		v := httplite.TrimOWS(resp.Header.Get(protocol.HeaderHeartbeatInterval))
		if ms, ok := httplite.ParseDigits(v); ok && ms > 0 && ms < 1<<40 {
			a.wd.setTimeout(clock.Duration(ms+ms/3) * clock.Millisecond)
		}
	}
	return true
}

// stream reads the body and dispatches its events until the stream ends (err is the read
// error, io.EOF for a clean end), an event or the parser closes the client (close set),
// or the client closes (both nil). A body that pushes its bytes (Pusher) is not read: its
// chunks are handled as they are delivered.
func (a *attempt) stream(body io.Reader) (close *CloseInfo, err error) {
	a.p.Reset(a.c.LastEventID())
	if pb, ok := body.(Pusher); ok {
		return a.streamPushed(pb)
	}
	for {
		a.wd.arm()
		_, rerr := a.p.Fill(body)
		a.wd.pause() // bytes arrived, or the read failed; callbacks follow
		if done, close, err := a.step(rerr); done {
			return close, err
		}
	}
}

// step dispatches the events that the bytes read so far complete, after a read that
// returned rerr, and reports whether the stream is over (done), with how it ended (see
// stream).
func (a *attempt) step(rerr error) (done bool, close *CloseInfo, err error) {
	c, p := a.c, a.p
	close, delivered := a.dispatch()
	if close != nil || c.stopped(a.run) {
		return true, close, nil
	}
	if c.stopped(a.round) { // restarted
		if f := c.opts.OnDrain; f != nil && delivered {
			f() // what a batching consumer holds came before the restart
		}
		return true, nil, errRestart
	}
	if f := c.opts.OnDrain; f != nil && delivered {
		f()
		if c.stopped(a.run) {
			return true, nil, nil
		}
	}
	if err := p.Err(); err != nil {
		return true, &CloseInfo{Reason: CloseEventTooLarge, Fatal: true, Err: err}, nil
	}
	if rerr != nil {
		if cause := a.ctx.Err(); cause != nil {
			rerr = cause // the watchdog's ErrHeartbeatTimeout, say, not the body's view of it
		}
		p.End()
		if errors.Is(rerr, ErrPermanent) { // reading cannot get better: fail for good
			return true, &CloseInfo{Reason: CloseNetwork, Fatal: true, Err: rerr}, nil
		}
		return true, nil, rerr
	}
	return false, nil, nil
}

// streamPushed is stream for a body that pushes its bytes: each chunk is parsed and its
// events dispatched inside the body's call of deliver, on the goroutine that makes it,
// while this goroutine waits for the stream to end. A callback that panics ends the stream,
// and the panic continues here.
func (a *attempt) streamPushed(pb Pusher) (close *CloseInfo, err error) {
	type end struct {
		close *CloseInfo
		err   error
		panic any
	}
	ended := make(chan end, 1)
	over := false
	a.wd.arm()
	pb.Push(func(chunk []byte, rerr error) (more bool) {
		if over {
			return false
		}
		a.wd.pause()
		var e end
		defer func() {
			if v := recover(); v != nil {
				e, over = end{panic: v}, true
			}
			if over {
				ended <- e
			} else {
				a.wd.arm()
			}
		}()
		if rerr == nil && len(chunk) == 0 {
			return true
		}
		a.p.Feed(chunk)
		over, e.close, e.err = a.step(rerr)
		return !over
	})
	e := <-ended
	if e.panic != nil {
		panic(e.panic)
	}
	return e.close, e.err
}

// dispatch delivers the events (and, with OnComment, the comments) that the input read
// so far completes, keeping the client's last event ID current, until the client closes
// or restarts or a complete or fatal event closes it (close set). delivered reports
// whether any event was delivered.
func (a *attempt) dispatch() (close *CloseInfo, delivered bool) {
	c, p := a.c, a.p
	defer func() { c.setLastID(p.LastEventID()) }() // an id-only dispatch changes it too
	last := c.LastEventID()
	for !c.stopped(a.round) { // the round ends with the run, or by Restart
		ev, ok := p.Next()
		if !ok {
			break
		}
		if ev.ID != last { // the parser hands out the same string while the ID is unchanged
			last = ev.ID
			c.setLastID(last)
		}
		if ev.Type == "" { // a comment line (Parser.Comments, set for OnComment)
			c.opts.OnComment(ev.Comment)
			continue
		}
		if a.onEvent != nil {
			a.onEvent(ev)
		}
		delivered = true
		switch {
		case c.opts.CompleteEvent != "" && ev.Type == c.opts.CompleteEvent:
			return &CloseInfo{Reason: CloseComplete, Data: ev.Data}, true
		case c.opts.FatalEvent != "" && ev.Type == c.opts.FatalEvent:
			return &CloseInfo{Reason: CloseFatal, Fatal: true, Data: ev.Data}, true
		}
	}
	return nil, delivered
}

// watchdog aborts an attempt with ErrHeartbeatTimeout when the server sends no bytes for
// its timeout (zero: never). It is armed while the client waits for the server (the
// request, each read) and paused while the client's own code runs, whose time is not
// server silence. Arming only records the time: one timer checks the deadline when it is
// due and sets itself for what is left, so that a read costs a clock reading, not a timer
// operation. stop ends it: no timer is left behind.
type watchdog struct {
	clock clock.Clock
	abort func(error)

	mu      sync.Mutex // guards the fields below against the timer's goroutine
	timeout clock.Duration
	t       clock.Timer
	armed   bool
	since   clock.Duration // when it was last armed (a reading of clock)
	due     clock.Duration // when t fires
	stopped bool
}

// arm starts the timeout again.
func (w *watchdog) arm() {
	if w.timeout <= 0 {
		return
	}
	now := w.clock.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	w.armed, w.since = true, now
	deadline := after(now, w.timeout)
	if w.t == nil {
		w.t, w.due = w.clock.AfterFunc(w.timeout, w.check), deadline
	} else if deadline < w.due { // the timeout shrank (HeartbeatAuto)
		w.t.Reset(w.timeout)
		w.due = deadline
	}
}

// setTimeout changes the timeout, from the next arm on.
func (w *watchdog) setTimeout(d clock.Duration) {
	w.mu.Lock()
	w.timeout = d
	w.mu.Unlock()
}

// pause stops the timeout until the next arm.
func (w *watchdog) pause() {
	if w.timeout <= 0 && w.t == nil {
		return
	}
	w.mu.Lock()
	w.armed = false
	w.mu.Unlock()
}

// check runs when the timer fires: it aborts when the deadline has passed while armed, and
// otherwise sets the timer for the deadline as it is now.
func (w *watchdog) check() {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return
	}
	now := w.clock.Now()
	left := w.timeout // paused: the deadline is at least a timeout away
	if w.armed {
		left = after(w.since, w.timeout) - now
	}
	if left > 0 {
		w.t.Reset(left)
		w.due = now + left
		w.mu.Unlock()
		return
	}
	w.stopped = true
	w.mu.Unlock()
	w.abort(ErrHeartbeatTimeout)
}

// after returns the reading t + d (d positive), saturated: a timeout of hundreds of years
// must not overflow into the past.
func after(t, d clock.Duration) clock.Duration {
	if t > math.MaxInt64-d {
		return math.MaxInt64
	}
	return t + d
}

// stop ends the watchdog and its timer.
func (w *watchdog) stop() {
	w.mu.Lock()
	w.stopped = true
	if w.t != nil {
		w.t.Stop()
	}
	w.mu.Unlock()
}
