//go:build !js

package scenario

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/server"
)

// scenario is one entry of the scenario table. A request is answered by serve, or, when
// serve is nil, by a server package Server whose stream function runs stream.
type scenario struct {
	doc    string
	stream func(c *call, s *server.Session)
	serve  func(c *call)
}

// scenarios is the scenario table. Parameters in milliseconds are plain integers.
var scenarios map[string]scenario

func init() {
	scenarios = map[string]scenario{
		"events": {
			doc: "a stream of events: multi-line data, ids, named events, an empty named event, then END; " +
				"retry=MS sends a retry field first; finish=1 ends the response after END instead of holding it open",
			stream: streamEvents,
		},
		"reconnect": {
			doc: "attempt 1: retry (retry=MS, default 100) and an event with id é1, then the response ends; " +
				"attempt 2: an event without id, one with id 2, then the response ends; later attempts: END, held open",
			stream: streamReconnect,
		},
		"status": {
			doc:    "answers code=N (default 204) through the server's Refuse, with Retry-After when retryAfter=S; code=200 streams events",
			stream: streamEvents,
		},
		"hold": {
			doc:    "one event with id h<attempt> and data \"attempt <n>\" (after a retry field when retry=MS), then held open",
			stream: streamHold,
		},
		"stall": {
			doc: "one event with id s<attempt> (after retry, default 50 ms), then silence: no heartbeats; " +
				"announce=MS sends SSE-Heartbeat-Interval: MS all the same",
			stream: streamStall,
			serve: func(c *call) {
				if a := c.q.Get("announce"); a != "" {
					c.w.Header().Set(sse.HeaderHeartbeatInterval, a)
				}
				serveStream(c)
			},
		},
		"heartbeat": {
			doc: "a server with heartbeats every interval=MS (default 100): an event start, silence but for " +
				"heartbeats for for=MS (default 1000), then END, held open",
			serve: serveHeartbeat,
		},
		"complete": {
			doc:    "retry (retry=MS, default 100), an event working, then Session.Complete(data=...)",
			stream: streamComplete,
		},
		"fatal": {
			doc:    "retry (retry=MS, default 100), an event working, then Session.Fail(data=...)",
			stream: streamFatal,
		},
		"raw": {
			doc: "the byte script script=NAME written chunk by chunk with a flush and a gap (gap=MS, default 20) " +
				"between chunks; ctype=TYPE sets the Content-Type (none: no header); end=1 ends the response " +
				"after it, cut=1 drops the connection mid-body (after another gap); otherwise it is held open",
			serve: serveRaw,
		},
		"drop": {
			doc:   "drops the connection before sending any response (a network error)",
			serve: serveDrop,
		},
		"hang": {
			doc:   "sends nothing for ms=MS (default: the handler's MaxHold) or until the client goes away, then streams events",
			serve: serveHang,
		},
		"redirect": {
			doc: "redirects (rcode=N, default 307) to scenario to=NAME (default events) with the other parameters; " +
				"cross=1 redirects to the other loopback origin (127.0.0.1 <-> localhost)",
			serve: serveRedirect,
		},
	}
}

// The event script of scenario events.
var eventScript = []sse.Event{
	{Data: "one"},
	{Data: "two\nlines\n\nand one blank"},
	{ID: "1", Data: "three"},
	{Data: "four: the id persists"},
	{Type: "named", Data: "five"},
	{Comment: "a comment"},
	{ID: "é2", Type: "named"}, // named, empty data
	{Data: "END"},
}

// rawScripts are the chunks of scenario raw, by script name.
var rawScripts = map[string][]string{
	// UTF-8: a BOM at the start, multi-byte characters split across chunks, invalid bytes,
	// a BOM inside data, a non-ASCII id and event type.
	"utf8": {
		"\xEF\xBB\xBFdata: héllo wörld € 😀\n\n",
		"data: split \xF0\x9F",
		"\x98\x80 done\n\n",
		"data: bad \xFF \xC3( \xED\xA0\x80 \xF4\x90\x80\x80 end\n\n",
		"data: \xEF\xBB\xBFbom inside data\n\n",
		"data: truncated \xE2\x82\n\n",
		"id: ïd\ndata: utf-8 id\n\n",
		"event: ëvent\ndata: utf-8 type\n\n",
		"data: END\n\n",
	},
	// A BOM split across chunks, then a second BOM that is not stripped (its line is ignored).
	"bomsplit": {
		"\xEF",
		"\xBB\xBFdata: after split bom\n\n\xEF\xBB\xBFdata: second bom\n\n",
		"data: END\n\n",
	},
	// CRLF, CR and LF line ends, pairs split across chunks.
	"lineends": {
		"data: crlf\r\n\r\n",
		"data: cr\r\r",
		"data: lf\n\n",
		"data: split crlf\r",
		"\n",
		"\r\n",
		"data: a\r",
		"data: b\r",
		"\r",
		"data: blank line split\r\n\r",
		"\ndata: y\n\n",
		"data: m1\rdata: m2\ndata: m3\r\n\n",
		":comment\r\nretry: 100\r",
		"data: END\r\n\r\n",
	},
	// Field parsing edge cases.
	"fields": {
		"data:nospace\n\n",
		"data:  two spaces\n\n",
		"data\n\n",
		"event: only-type\n\n",
		"data: after an event with no data\n\n",
		"id: f1\ndata: id f1\n\n",
		"id: x\x00y\ndata: an id with NUL is ignored\n\n",
		"id: 9\n\n",
		"data: after an id-only block\n\n",
		"id\ndata: id reset\n\n",
		"unknown: field\ndata: unknown field ignored\n\n",
		"retry: abc\nretry: 1x\n",
		"event\ndata: empty event field\n\n",
		"Data: wrong case\n\n",
		" data: leading space\n\n",
		"data: END\n\n",
		"data: never dispatched",
	},
	// Two events in one chunk, another one later: for close() inside a listener.
	"twoinone": {
		"data: A\n\ndata: B\n\n",
		"data: C\n\n",
	},
	// An id, then an empty id field: the next attempt sends no Last-Event-ID.
	"idreset": {
		"retry: 100\nid: r1\ndata: a\n\nid\ndata: b\n\n",
	},
	// A retry field and an id, for a connection dropped mid-body (cut=1).
	"beforecut": {
		"retry: 100\nid: c1\ndata: before the cut\n\n",
	},
	// A plain event, for wrong Content-Type checks.
	"simple": {
		"data: simple\n\n",
	},
}

// --- server package scenarios

// runStream is the Stream function of the handler's servers: it runs the stream of the
// request's scenario.
func runStream(s *server.Session) {
	c := callOf(s.Request())
	if c == nil {
		return
	}
	if sc := scenarios[c.name]; sc.stream != nil {
		sc.stream(c, s)
	}
}

// refuse is the Refuse function of the handler's servers: scenario status refuses.
func refuse(r *http.Request) error {
	c := callOf(r)
	if c == nil || c.name != "status" {
		return nil
	}
	code := 204
	if n, err := strconv.Atoi(c.q.Get("code")); err == nil && n >= 200 && n <= 599 {
		code = n
	}
	if code == http.StatusOK {
		return nil
	}
	c.finish()
	e := &server.StatusError{Code: code}
	if ra := c.q.Get("retryAfter"); ra != "" {
		e.Header = http.Header{"Retry-After": {ra}}
	}
	return e
}

func serveStream(c *call) { c.h.plain.ServeHTTP(c.w, c.r) }

// hold waits until the session ends, the handler's MaxHold passes or the handler closes.
func (c *call) hold(s *server.Session) {
	t := time.NewTimer(c.h.maxHold)
	defer t.Stop()
	select {
	case <-s.Done():
	case <-t.C:
	case <-c.h.closing:
	}
}

// sleep waits for d and reports whether the request is still being served.
func (c *call) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.r.Context().Done():
		return false
	case <-c.h.closing:
		return false
	}
}

// pushRetry pushes a retry field of the parameter retry, or def when it is absent.
func (c *call) pushRetry(s *server.Session, def time.Duration) error {
	if d := msParam(c.q, "retry", def); d > 0 {
		return s.Push(sse.Event{Retry: d})
	}
	return nil
}

func pushAll(s *server.Session, evs ...sse.Event) error {
	for _, ev := range evs {
		if err := s.Push(ev); err != nil {
			return err
		}
	}
	return nil
}

func streamEvents(c *call, s *server.Session) {
	if c.pushRetry(s, 0) != nil || pushAll(s, eventScript...) != nil {
		return
	}
	if c.q.Get("finish") == "1" {
		c.finish()
		return
	}
	c.hold(s)
}

func streamReconnect(c *call, s *server.Session) {
	if c.pushRetry(s, 100*time.Millisecond) != nil {
		return
	}
	switch c.attempt {
	case 1:
		if s.Push(sse.Event{ID: "é1", Data: "first"}) == nil {
			c.finish()
		}
	case 2:
		if pushAll(s, sse.Event{Data: "second: the id persists"}, sse.Event{ID: "2", Data: "third"}) == nil {
			c.finish()
		}
	default:
		if s.Push(sse.Event{Data: "END"}) == nil {
			c.hold(s)
		}
	}
}

func streamHold(c *call, s *server.Session) {
	n := strconv.Itoa(c.attempt)
	if c.pushRetry(s, 0) != nil || s.Push(sse.Event{ID: "h" + n, Data: "attempt " + n}) != nil {
		return
	}
	c.hold(s)
}

func streamStall(c *call, s *server.Session) {
	if c.pushRetry(s, 50*time.Millisecond) != nil || s.Push(sse.Event{ID: "s" + strconv.Itoa(c.attempt), Data: "stalled"}) != nil {
		return
	}
	c.hold(s)
}

func streamHeartbeat(c *call, s *server.Session) {
	if s.Push(sse.Event{Data: "start"}) != nil {
		return
	}
	t := time.NewTimer(msParam(c.q, "for", time.Second))
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.Done():
		return
	}
	if s.Push(sse.Event{Data: "END"}) == nil {
		c.hold(s)
	}
}

func streamComplete(c *call, s *server.Session) {
	if c.pushRetry(s, 100*time.Millisecond) != nil || s.Push(sse.Event{Data: "working"}) != nil {
		return
	}
	c.finish() // Complete ends the response
	_ = s.Complete(c.q.Get("data"))
}

func streamFatal(c *call, s *server.Session) {
	if c.pushRetry(s, 100*time.Millisecond) != nil || s.Push(sse.Event{Data: "working"}) != nil {
		return
	}
	c.finish() // Fail ends the response
	_ = s.Fail(c.q.Get("data"))
}

// maxBeatServers bounds the heartbeat servers, one per interval asked for.
const maxBeatServers = 16

func serveHeartbeat(c *call) {
	d := min(max(msParam(c.q, "interval", 100*time.Millisecond), 10*time.Millisecond), 10*time.Second)
	h := c.h
	h.mu.Lock()
	srv, ok := h.beats[d]
	if !ok && len(h.beats) < maxBeatServers && !h.closed {
		srv = server.New(server.Options{
			Stream:            func(s *server.Session) { streamHeartbeat(callOf(s.Request()), s) },
			HeartbeatInterval: d,
			Store:             h.store,
			Logger:            h.logger,
		})
		h.beats[d] = srv
	}
	h.mu.Unlock()
	if srv == nil {
		http.Error(c.w, "too many heartbeat intervals", http.StatusServiceUnavailable)
		return
	}
	srv.ServeHTTP(c.w, c.r)
}

// --- scenarios that answer themselves

func serveRaw(c *call) {
	chunks, ok := rawScripts[c.q.Get("script")]
	if !ok {
		http.Error(c.w, "unknown script", http.StatusNotFound)
		return
	}
	hd := c.w.Header()
	switch ct := c.q.Get("ctype"); {
	case !c.q.Has("ctype"):
		hd.Set("Content-Type", "text/event-stream")
	case ct == "none":
		hd["Content-Type"] = nil // no header, and no sniffing
	default:
		hd.Set("Content-Type", ct)
	}
	hd.Set("Cache-Control", "no-cache")
	c.w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(c.w)
	gap := msParam(c.q, "gap", 20*time.Millisecond)
	for i, chunk := range chunks {
		if i > 0 && !c.sleep(gap) {
			return
		}
		if _, err := c.w.Write([]byte(chunk)); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
	switch {
	case c.q.Get("cut") == "1":
		if !c.sleep(gap) {
			return
		}
		c.finish()
		if conn, _, err := rc.Hijack(); err == nil {
			_ = conn.Close()
		}
	case c.q.Get("end") == "1":
		c.finish()
	default:
		c.sleep(c.h.maxHold)
	}
}

func serveDrop(c *call) {
	c.finish()
	conn, _, err := http.NewResponseController(c.w).Hijack()
	if err != nil {
		http.Error(c.w, "cannot hijack: "+err.Error(), http.StatusInternalServerError)
		return
	}
	_ = conn.Close()
}

func serveHang(c *call) {
	if !c.sleep(msParam(c.q, "ms", c.h.maxHold)) {
		return
	}
	c.name = "events"
	serveStream(c)
}

func serveRedirect(c *call) {
	to := c.q.Get("to")
	if to == "" {
		to = "events"
	}
	code, _ := strconv.Atoi(c.q.Get("rcode"))
	switch code {
	case 301, 302, 303, 307, 308:
	default:
		code = http.StatusTemporaryRedirect
	}
	host := c.r.Host
	if c.q.Get("cross") == "1" {
		host = otherHost(host)
	}
	q := url.Values{}
	for k, v := range c.q {
		switch k {
		case "to", "rcode", "cross":
		default:
			q[k] = v
		}
	}
	c.finish()
	c.w.Header().Set("Location", "http://"+host+"/sse/"+url.PathEscape(to)+"?"+q.Encode())
	c.w.WriteHeader(code)
}

// otherHost swaps the loopback names 127.0.0.1 and localhost in a host[:port].
func otherHost(host string) string {
	if rest, ok := strings.CutPrefix(host, "127.0.0.1"); ok {
		return "localhost" + rest
	}
	if rest, ok := strings.CutPrefix(host, "localhost"); ok {
		return "127.0.0.1" + rest
	}
	return host
}
