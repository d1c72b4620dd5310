package fake

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/fake/script"
	"github.com/polysse/sse/internal/protocol"
	"github.com/polysse/sse/server"
)

// exchange is one request being answered by a route.
type exchange struct {
	s       *Scope
	gen     *generation
	rt      *route
	attempt int
	answer  *script.Answer // the attempt's answer (nil for a handler)
	vars    script.Vars
	req     *http.Request // carries the exchange in its context
	w       *recWriter
	entry   *Entry
	lastID  string
	hasID   bool
	res     *resolved
	visited []*route // the routes it went through (Forward)

	steps []script.Step // of a stream answer
	hctx  *Context      // of a handler's stream

	// Under Scope.mu: the stream function may run after the server's ServeHTTP returned.
	conn   *Conn // the connection, once open
	served bool  // the answer is over: a stream function that starts now gets no connection

	gone    bool // the client went away before a connection opened
	dropped bool // dropped before a connection opened
}

type exchangeKey struct{}

func exchangeOf(r *http.Request) *exchange {
	x, _ := r.Context().Value(exchangeKey{}).(*exchange)
	return x
}

// ServeHTTP answers r with the scope's routes: a CORS preflight per the matching
// route's preflight option, a request with the first matching route, and any other per
// Options.Unhandled. Every request is journaled.
func (s *Scope) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e := s.e
	if !e.enter() {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "fake: closed", http.StatusServiceUnavailable)
		return
	}
	defer e.running.Done()
	url := requestURL(r)
	body, ok := readBody(w, r, e.opts.MaxRequestBody)
	if !ok {
		return
	}
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		if s.servePreflight(w, r, url, body) {
			return
		}
	}
	rt, params := s.find(r, r.Method, nil)
	if rt == nil {
		s.serveUnhandled(w, r, url, body)
		return
	}
	x := s.begin(rt, params, r, url, body)
	x.serve(w)
}

func (e *Engine) enter() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.running.Add(1)
	return true
}

// readBody reads r's body whole (up to limit, 413 beyond) and makes it readable again.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	_ = r.Body.Close()
	if err != nil {
		http.Error(w, "fake: reading the request body: "+err.Error(), http.StatusBadRequest)
		return nil, false
	}
	if int64(len(b)) > limit {
		http.Error(w, "fake: the request body is longer than "+strconv.FormatInt(limit, 10)+" bytes", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return b, true
}

// newEntry returns the journal entry of r.
func newEntry(r *http.Request, url string, body []byte) *Entry {
	e := &Entry{
		Method: r.Method, URL: url, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(),
		Outcome: OutcomeOpen, Start: time.Now(),
	}
	if len(body) > MaxJournalBody {
		body = body[:MaxJournalBody]
	}
	e.Body = bytes.Clone(body)
	e.LastEventID, e.HasLastEventID = lastEventID(r, "")
	return e
}

func (s *Scope) serveUnhandled(w http.ResponseWriter, r *http.Request, url string, body []byte) {
	en := newEntry(r, url, body)
	en.Outcome = OutcomeUnhandled
	s.mu.Lock()
	s.addEntryLocked(en)
	s.mu.Unlock()
	rw := &recWriter{ResponseWriter: w, s: s, entry: en}
	defer s.update(en, func(e *Entry) { e.End = time.Now() })
	if s.e.opts.Unhandled != nil {
		s.e.opts.Unhandled(rw, r)
		return
	}
	http.Error(rw, "fake: no route for "+r.Method+" "+url, http.StatusNotFound)
}

// servePreflight answers a CORS preflight for the route matching the method it asks
// for, when that route answers preflights (204) or not (405); it returns false when no
// route matches.
func (s *Scope) servePreflight(w http.ResponseWriter, r *http.Request, url string, body []byte) bool {
	method := r.Header.Get("Access-Control-Request-Method")
	rt, params := s.find(r, method, nil)
	if rt == nil {
		return false
	}
	en := newEntry(r, url, body)
	en.Route = rt.name
	s.mu.Lock()
	s.addEntryLocked(en)
	s.mu.Unlock()
	rw := &recWriter{ResponseWriter: w, s: s, entry: en}
	defer s.update(en, func(e *Entry) { e.End, e.Outcome = time.Now(), OutcomeEnded })
	v := varsOf(r, params, 0, "")
	res, err := resolve(s.e, rt.spec.Options, &v)
	if err != nil {
		http.Error(rw, "fake: route "+rt.name+": "+err.Error(), http.StatusBadRequest)
		return true
	}
	h := rw.Header()
	setCORS(h, res.cors, r.Header.Get("Origin"))
	if !res.preflt {
		if rt.pat.Method != "" {
			h.Set("Allow", rt.pat.Method)
		}
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
		return true
	}
	h.Set("Access-Control-Allow-Methods", method)
	if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
		h.Set("Access-Control-Allow-Headers", rh)
	}
	h.Set("Access-Control-Max-Age", "0")
	rw.WriteHeader(http.StatusNoContent)
	return true
}

// varsOf returns the template variables of r.
func varsOf(r *http.Request, params map[string]string, attempt int, lastID string) script.Vars {
	return script.Vars{Attempt: attempt, LastEventID: lastID, Params: params, Query: r.URL.Query(), Header: r.Header}
}

// lastEventID returns the request's last event ID as the server reads it (with its
// LastEventIDQuery option query: protocol.LastEventID), and whether the request carried
// one (a Last-Event-ID header, or the query parameter), even one the server reads as "".
func lastEventID(r *http.Request, query string) (string, bool) {
	hvs := r.Header[http.CanonicalHeaderKey(sse.HeaderLastEventID)]
	header, has := "", len(hvs) > 0
	if has {
		header = hvs[0]
	}
	var fromQuery func() string
	if query != "" {
		q := r.URL.Query()
		if qvs, ok := q[query]; ok && len(qvs) > 0 {
			has = true
			fromQuery = func() string { return qvs[0] }
		}
	}
	return protocol.LastEventID(header, fromQuery), has
}

// begin counts the attempt of r for rt, picks its answer and journals it.
func (s *Scope) begin(rt *route, params map[string]string, r *http.Request, url string, body []byte) *exchange {
	x := &exchange{s: s, rt: rt, visited: []*route{rt}}
	leiq := ""
	if rt.spec.Options != nil {
		leiq = rt.spec.Options.LastEventIDQuery
	}
	x.lastID, x.hasID = lastEventID(r, leiq)
	x.vars = varsOf(r, params, 0, x.lastID)
	x.entry = newEntry(r, url, body)
	x.entry.Route = rt.name
	x.entry.LastEventID, x.entry.HasLastEventID = x.lastID, x.hasID
	s.mu.Lock()
	x.gen = s.gen
	x.count(rt)
	x.entry.Attempt = x.attempt
	s.addEntryLocked(x.entry)
	s.mu.Unlock()
	x.req = r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x))
	return x
}

// count counts an attempt for rt and picks its answer; s.mu is held.
func (x *exchange) count(rt *route) {
	key := ""
	if rt.spec.AttemptKey != nil {
		key = rt.spec.AttemptKey.Expand(&x.vars)
	}
	ck := countKey{route: rt.name, key: key}
	x.s.counts[ck]++
	x.attempt = x.s.counts[ck]
	x.vars.Attempt = x.attempt
	x.rt = rt
	x.answer = nil
	if q := x.s.next[rt.name]; len(q) > 0 {
		a := q[0]
		x.s.next[rt.name] = q[1:]
		x.answer = &a
	} else if rt.handler == nil {
		x.answer = rt.answerFor(x.attempt)
	}
}

// serve answers the exchange on w and records how it ended.
func (x *exchange) serve(w http.ResponseWriter) {
	x.w = &recWriter{ResponseWriter: w, s: x.s, entry: x.entry}
	defer x.finish()
	x.answerRoute()
}

// answerRoute answers with the exchange's route (x.rt): its options, then its answer
// or handler.
func (x *exchange) answerRoute() {
	res, err := resolve(x.s.e, x.rt.spec.Options, &x.vars)
	if err != nil {
		x.fail(http.StatusBadRequest, err)
		return
	}
	x.res = res
	h := x.w.Header()
	for k, v := range res.header {
		h[k] = v
	}
	setCORS(h, res.cors, x.req.Header.Get("Origin"))
	if x.hasID && sse.IsToken(x.lastID) && x.tokens().has(x.lastID) {
		x.serveStream(nil) // the server redeems it
		return
	}
	if x.answer == nil {
		x.serveHandler()
		return
	}
	x.serveAnswer(x.answer)
}

func (x *exchange) tokens() *tokenStore {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	return x.s.pool.tokens
}

// serveAnswer serves a scripted answer.
func (x *exchange) serveAnswer(a *script.Answer) {
	if err := checkAnswer(a, &x.vars); err != nil {
		x.fail(http.StatusBadRequest, err)
		return
	}
	if a.Delay != nil && !x.delay(a.Delay) {
		return
	}
	switch a.Kind {
	case script.AnswerStream:
		x.serveStream(a.Steps)
	case script.AnswerRespond:
		x.serveRespond(a.Respond)
	case script.AnswerDrop:
		x.drop()
	}
}

// fail answers status with the route's name and err.
func (x *exchange) fail(status int, err error) {
	msg := "fake: route " + x.rt.name + ": " + err.Error()
	if status >= 500 {
		x.s.e.opts.Logger.LogAttrs(x.req.Context(), slog.LevelError, msg)
	}
	http.Error(x.w, msg, status)
}

// delay waits before the head; false when the exchange is over (the client went away,
// or a reset dropped it).
func (x *exchange) delay(d *script.Delay) bool {
	dur, forever, ok, _ := d.Expand(&x.vars) // checked by checkAnswer
	if !ok {
		return true
	}
	if forever {
		dur = x.s.e.opts.MaxHold
	}
	var expired <-chan time.Time
	if dur > 0 || !forever {
		t := time.NewTimer(dur)
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-expired:
		return true
	case <-x.req.Context().Done():
		x.gone = true
		return false
	case <-x.gen.done:
		x.drop()
		return false
	}
}

// drop answers with no response: the connection is closed (hijacked, over HTTP/1.1)
// or the handler panics with http.ErrAbortHandler.
func (x *exchange) drop() {
	x.dropped = true
	if conn, _, err := http.NewResponseController(x.w).Hijack(); err == nil {
		_ = conn.Close()
		return
	}
	x.finish()
	panic(http.ErrAbortHandler)
}

// finish records the exchange's end in the journal (once). It reads the connection's
// state before taking the scope's lock: nothing is locked after Scope.mu but leaves.
func (x *exchange) finish() {
	status := int(x.w.status.Load())
	x.s.mu.Lock()
	conn := x.conn // set by the stream's goroutine, under the lock
	x.s.mu.Unlock()
	var out Outcome
	switch {
	case conn != nil:
		out = conn.outcome()
	case x.dropped:
		out = OutcomeDropped
	case x.gone || (status == 0 || status == http.StatusOK) && x.w.clientGone(x.req):
		// With 200 and no connection: a stream that ended before its stream function ran.
		out = OutcomeClientGone
	case status == http.StatusOK:
		out = OutcomeEnded
	default:
		out = OutcomeRefused
	}
	end := time.Now()
	x.s.update(x.entry, func(e *Entry) {
		if e.End.IsZero() {
			e.End, e.Outcome = end, out
		}
	})
}

// serveStream serves the exchange through the route's server, which runs steps (or
// hands the session to a handler).
func (x *exchange) serveStream(steps []script.Step) {
	srv, err := x.tokensPool().get(x.res)
	if err != nil {
		x.fail(http.StatusInternalServerError, err)
		return
	}
	x.steps = steps
	srv.ServeHTTP(x.w, x.req) // may panic with http.ErrAbortHandler after a drop
	// The server does not wait for the stream function: from here on, runStream opens
	// no connection, so that the journal and a handler's Stream see one outcome.
	x.s.mu.Lock()
	conn := x.conn
	x.served = true
	x.s.mu.Unlock()
	if conn != nil || x.hctx == nil {
		return
	}
	status := int(x.w.status.Load())
	switch {
	case status != 0 && status != http.StatusOK:
		x.hctx.refused(status)
	case x.w.clientGone(x.req):
		x.hctx.unopened(string(server.ReasonClientGone))
	case status == 0:
		x.hctx.refused(status)
	default: // 200, ended before its stream function ran (a shutdown, a reset)
		x.hctx.unopened(ReasonEnded)
	}
}

func (x *exchange) tokensPool() *pool {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	return x.s.pool
}

// runStream is the server's Stream function for the exchange's session.
func (x *exchange) runStream(sess *server.Session) {
	c := &Conn{route: x.rt.name, attempt: x.attempt, req: x.req, lastID: x.lastID, x: x, sess: sess}
	if !x.open(c) {
		sess.Close()
		return
	}
	defer x.s.connEnded()
	if x.hctx != nil { // open handed c to the handler's Stream
		x.hold(c)
		return
	}
	ending, err := runSteps(c, x.steps, x.vars)
	if err != nil {
		x.logStepError(err)
		_ = c.End()
		return
	}
	x.endWith(c, ending)
}

// open registers c as the exchange's connection; false when the scope was reset since
// the request arrived, or the answer is over (a stream function that started after the
// server's ServeHTTP returned: its session has ended, and the journal entry is final).
func (x *exchange) open(c *Conn) bool {
	s := x.s
	s.mu.Lock()
	ok := !x.served && s.addConnLocked(c, x.gen)
	if ok {
		x.conn = c
		x.entry.Conn = c.id
		if x.hctx != nil && c.sess != nil {
			// Before the request can be over: a handler's Stream gets c, not an ended one.
			x.hctx.streamed(c)
		}
	}
	s.mu.Unlock()
	return ok
}

func (x *exchange) logStepError(err error) {
	if errors.Is(err, ErrEnded) || errors.Is(err, ErrReset) {
		return
	}
	x.s.e.opts.Logger.LogAttrs(x.req.Context(), slog.LevelError, "fake: route "+x.rt.name+": "+err.Error())
}

// endWith applies a stream's ending (nil: hold).
func (x *exchange) endWith(c *Conn, ending *script.Step) {
	if ending == nil {
		x.hold(c)
		return
	}
	switch ending.Kind {
	case script.StepEnd:
		_ = c.End()
	case script.StepDrop:
		_ = c.Drop()
	case script.StepHold:
		x.hold(c)
	case script.StepComplete:
		_ = c.Complete(ending.Data.Expand(&x.vars))
	case script.StepFail:
		_ = c.Fail(ending.Data.Expand(&x.vars))
	}
}

// hold keeps c open until it ends, the scope is reset or MaxHold passes.
func (x *exchange) hold(c *Conn) {
	var expired <-chan time.Time
	if d := x.s.e.opts.MaxHold; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		expired = t.C
	}
	// A session notices the client going away itself (and ends with ReasonClientGone);
	// the owner of a plain response watches the request's context.
	var wake, gone <-chan struct{}
	if c.plain != nil {
		wake, gone = c.plain.wake, x.req.Context().Done()
	}
	select {
	case <-c.Done():
	case <-wake:
	case <-gone:
	case <-x.gen.done:
		_ = c.End()
	case <-expired:
		_ = c.End()
	}
}

// serveRespond writes a plain response.
func (x *exchange) serveRespond(rsp *script.Respond) {
	code, _, _ := rsp.Status.Expand(&x.vars) // checked by checkAnswer
	h := x.w.Header()
	for _, k := range sortedKeys(rsp.Headers) {
		ck := http.CanonicalHeaderKey(k)
		if t := rsp.Headers[k]; t != nil {
			if v := t.Expand(&x.vars); v != "" {
				h[ck] = []string{v}
			}
		} else {
			h[ck] = nil
		}
	}
	x.w.WriteHeader(int(code))
	_ = http.NewResponseController(x.w).Flush()
	c := &Conn{route: x.rt.name, attempt: x.attempt, req: x.req, lastID: x.lastID, x: x, plain: newPlainConn(x.w)}
	if !x.open(c) {
		c.plain.finish(ReasonEnded)
		return
	}
	defer x.s.connEnded()
	var ending *script.Step
	var err error
	switch {
	case rsp.BodySteps != nil:
		ending, err = runSteps(c, rsp.BodySteps, x.vars)
	default:
		if rsp.Body != nil {
			_ = c.Raw([]byte(rsp.Body.Expand(&x.vars)))
		}
		ending = &script.Step{Kind: script.StepEnd}
	}
	if err != nil {
		x.logStepError(err)
	}
	x.endPlain(c, ending, err)
}

// endPlain applies a plain response's ending in the request's goroutine, and what was
// asked of it from outside.
func (x *exchange) endPlain(c *Conn, ending *script.Step, err error) {
	p := c.plain
	if err == nil && (ending == nil || ending.Kind == script.StepHold) {
		x.hold(c)
	}
	asked, gone := p.state()
	switch {
	case asked == 2 || asked == 0 && err == nil && ending != nil && ending.Kind == script.StepDrop:
		c.mu.Lock()
		c.dropped = true
		c.mu.Unlock()
		p.finish(ReasonDropped)
		x.finish()
		panic(http.ErrAbortHandler)
	case gone || x.req.Context().Err() != nil && asked == 0:
		p.finish(string(server.ReasonClientGone))
	default:
		p.finish(ReasonEnded)
	}
}

// checkAnswer expands the numbers of a (without repeat rounds) and reports the first
// that is not valid, with its field.
func checkAnswer(a *script.Answer, v *script.Vars) error {
	if a.Delay != nil {
		if _, _, _, err := a.Delay.Expand(v); err != nil {
			return &script.FieldError{Field: "delay", Err: err}
		}
	}
	if a.Respond != nil {
		code, ok, err := a.Respond.Status.Expand(v)
		if err == nil && (!ok || !script.ValidStatus(code)) {
			err = &script.ValueError{Value: strconv.FormatInt(code, 10), Want: "a status from 200 to 599"}
		}
		if err != nil {
			return &script.FieldError{Field: "respond.status", Err: err}
		}
		return checkSteps("respond.body", a.Respond.BodySteps, v)
	}
	return checkSteps("stream", a.Steps, v)
}

func checkSteps(path string, steps []script.Step, v *script.Vars) error {
	for i, st := range steps {
		p := path + "[" + strconv.Itoa(i) + "]"
		if st.Num != nil && !usesI(st.Num) {
			if _, _, err := st.Num.Expand(v); err != nil {
				return &script.FieldError{Field: p + "." + st.Kind.String(), Err: err}
			}
		}
		if st.Event != nil && st.Event.Retry != nil && !usesI(st.Event.Retry) {
			if _, _, err := st.Event.Retry.Expand(v); err != nil {
				return &script.FieldError{Field: p + ".event.retry", Err: err}
			}
		}
		if err := checkSteps(p+".steps", st.Steps, v); err != nil {
			return err
		}
	}
	return nil
}

func usesI(n *script.Num) bool {
	t, ok := n.Template()
	return ok && t.UsesI()
}

// recWriter records the response status in the journal entry, once (later writes take
// no lock of the scope). It unwraps to the writer it wraps (http.ResponseController:
// Flush, deadlines, Hijack).
type recWriter struct {
	http.ResponseWriter
	s      *Scope
	entry  *Entry
	status atomic.Int32
	broken atomic.Bool // a write or flush failed: the client went away
}

// clientGone reports whether the client went away: a write failed, or r's context
// ended (the writes of a client that closed its body may fail before its context ends).
func (w *recWriter) clientGone(r *http.Request) bool {
	return w.broken.Load() || r.Context().Err() != nil
}

func (w *recWriter) record(code int) {
	if w.status.Load() != 0 || !w.status.CompareAndSwap(0, int32(code)) {
		return
	}
	w.s.update(w.entry, func(e *Entry) { e.Status = code })
}

func (w *recWriter) WriteHeader(code int) {
	if code >= 200 {
		w.record(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recWriter) Write(b []byte) (int, error) {
	w.record(http.StatusOK)
	n, err := w.ResponseWriter.Write(b)
	if err != nil {
		w.broken.Store(true)
	}
	return n, err
}

// FlushError flushes through http.ResponseController, which follows Unwrap methods.
func (w *recWriter) FlushError() error {
	w.record(http.StatusOK)
	err := http.NewResponseController(w.ResponseWriter).Flush()
	if err != nil {
		w.broken.Store(true)
	}
	return err
}

// Unwrap returns the wrapped writer.
func (w *recWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
