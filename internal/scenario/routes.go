//go:build !js

package scenario

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/polysse/sse/internal/fake"
	"github.com/polysse/sse/internal/fake/script"
)

// routesJSON are the scenarios that are plain scripts. Every route gets the common
// options of commonOptions (unless it sets them) and the attempt key {query.sid}.
const routesJSON = `{"version": 1, "routes": [
  {"route": "/sse/events", "name": "events finish", "match": {"query": {"finish": "1"}},
   "answers": [{"stream": [{"retry": "{query.retry}"}, "EVENTS", "end"]}]},
  {"route": "/sse/events", "name": "events", "answers": [{"stream": [{"retry": "{query.retry}"}, "EVENTS", "hold"]}]},

  {"route": "/sse/reconnect", "name": "reconnect", "answers": [
    {"stream": [{"retry": "{query.retry|100}"}, {"event": {"id": "é1", "data": "first"}}, "end"]},
    {"stream": [{"retry": "{query.retry|100}"}, {"event": {"data": "second: the id persists"}}, {"event": {"id": "2", "data": "third"}}, "end"]},
    {"stream": [{"retry": "{query.retry|100}"}, {"event": {"data": "END"}}, "hold"]}]},

  {"route": "/sse/status", "name": "status 200 finish", "match": {"query": {"code": "200", "finish": "1"}},
   "answers": [{"stream": [{"retry": "{query.retry}"}, "EVENTS", "end"]}]},
  {"route": "/sse/status", "name": "status 200", "match": {"query": {"code": "200"}},
   "answers": [{"stream": [{"retry": "{query.retry}"}, "EVENTS", "hold"]}]},
  {"route": "/sse/status", "name": "status",
   "options": {"refuse": {"status": "{query.code|204}", "headers": {"Retry-After": "{query.retryAfter}"}}},
   "answers": [{"stream": []}]},

  {"route": "/sse/hold", "name": "hold", "answers": [{"stream": [
    {"retry": "{query.retry}"}, {"event": {"id": "h{attempt}", "data": "attempt {attempt}"}}, "hold"]}]},

  {"route": "/sse/stall", "name": "stall", "options": {"headers": {"SSE-Heartbeat-Interval": "{query.announce}"}},
   "answers": [{"stream": [{"retry": "{query.retry|50}"}, {"event": {"id": "s{attempt}", "data": "stalled"}}, "hold"]}]},

  {"route": "/sse/heartbeat", "name": "heartbeat", "options": {"heartbeat": "{query.interval|100}"},
   "answers": [{"stream": [{"event": {"data": "start"}}, {"wait": "{query.for|1000}"}, {"event": {"data": "END"}}, "hold"]}]},

  {"route": "/sse/complete", "name": "complete", "answers": [{"stream": [
    {"retry": "{query.retry|100}"}, {"event": {"data": "working"}}, {"complete": "{query.data}"}]}]},
  {"route": "/sse/fatal", "name": "fatal", "answers": [{"stream": [
    {"retry": "{query.retry|100}"}, {"event": {"data": "working"}}, {"fail": "{query.data}"}]}]},

  {"route": "/sse/drop", "name": "drop", "answers": [{"drop": true}]},

  {"route": "/sse/hang", "name": "hang finish", "match": {"query": {"finish": "1"}},
   "answers": [{"delay": "{query.ms|forever}", "stream": [{"retry": "{query.retry}"}, "EVENTS", "end"]}]},
  {"route": "/sse/hang", "name": "hang", "answers": [{"delay": "{query.ms|forever}", "stream": [{"retry": "{query.retry}"}, "EVENTS", "hold"]}]}
]}`

// eventsJSON are the steps of scenario events (the "EVENTS" placeholder above).
const eventsJSON = `
  {"event": {"data": "one"}},
  {"event": {"data": "two\nlines\n\nand one blank"}},
  {"event": {"id": "1", "data": "three"}},
  {"event": {"data": "four: the id persists"}},
  {"event": {"type": "named", "data": "five"}},
  {"comment": "a comment"},
  {"event": {"id": "é2", "type": "named"}},
  {"event": {"data": "END"}}`

// commonOptions are the options of every scenario route: the CORS mode and preflight of
// the query, a new connection per attempt, and no heartbeats (a stalled stream stays
// silent) unless the route sets its own.
const commonOptions = `{"cors": "{query.cors|off}", "preflight": "{query.preflight}", "heartbeat": 0,
  "headers": {"Connection": "close"}}`

// scenarioDocs describe the scenarios, by name.
var scenarioDocs = map[string]string{
	"events": "a stream of events: multi-line data, ids, named events, an empty named event, then END; " +
		"retry=MS sends a retry field first; finish=1 ends the response after END instead of holding it open",
	"reconnect": "attempt 1: retry (retry=MS, default 100) and an event with id é1, then the response ends; " +
		"attempt 2: an event without id, one with id 2, then the response ends; later attempts: END, held open",
	"status":    "answers code=N (default 204) through the server's Refuse, with Retry-After when retryAfter=S; code=200 streams events",
	"hold":      "one event with id h<attempt> and data \"attempt <n>\" (after a retry field when retry=MS), then held open",
	"stall":     "one event with id s<attempt> (after retry, default 50 ms), then silence: no heartbeats; announce=MS sends SSE-Heartbeat-Interval: MS all the same",
	"heartbeat": "a server with heartbeats every interval=MS (default 100): an event start, silence but for heartbeats for for=MS (default 1000), then END, held open",
	"complete":  "retry (retry=MS, default 100), an event working, then Session.Complete(data=...)",
	"fatal":     "retry (retry=MS, default 100), an event working, then Session.Fail(data=...)",
	"raw": "the byte script script=NAME written chunk by chunk with a flush and a gap (gap=MS, default 20) " +
		"between chunks; ctype=TYPE sets the Content-Type (none: no header); end=1 ends the response " +
		"after it, cut=1 drops the connection mid-body (after another gap); otherwise it is held open",
	"drop":     "drops the connection before sending any response (a network error)",
	"hang":     "sends nothing for ms=MS (default: the handler's MaxHold) or until the client goes away, then streams events",
	"redirect": "redirects (rcode=N, default 307) to scenario to=NAME (default events) with the other parameters; cross=1 redirects to the other loopback origin (127.0.0.1 <-> localhost)",
}

// routes returns the scenario routes, in the order they are tried.
func routes() ([]fake.Route, error) {
	src := strings.ReplaceAll(routesJSON, `"EVENTS"`, eventsJSON)
	f, err := script.ParseFile([]byte(src))
	if err != nil {
		return nil, err
	}
	common, err := script.ParseOptions([]byte(commonOptions))
	if err != nil {
		return nil, err
	}
	key := script.ParseTemplate("{query.sid}")
	var out []fake.Route
	// times=N&then=NAME: a handler that forwards to this scenario or to NAME.
	timesThen := script.Route{Pattern: "/sse/{name}", Name: "times then", Options: common,
		Match:      &script.Match{Query: map[string]*string{"times": ptr(script.AnyValue), "then": ptr(script.AnyValue)}},
		AttemptKey: ptr(script.ParseTemplate("{query.sid}/{params.name}"))}
	out = append(out, fake.Route{Route: timesThen, Handler: serveTimesThen, Filter: notOptions})
	for _, r := range f.Routes {
		r.Options = withCommon(r.Options, common)
		r.AttemptKey = &key
		out = append(out, fake.Route{Route: r, Filter: notOptions})
	}
	for _, h := range []struct {
		name    string
		handler fake.Handler
	}{{"raw", serveRaw}, {"redirect", serveRedirect}} {
		r := script.Route{Pattern: "/sse/" + h.name, Name: h.name, Options: common, AttemptKey: &key}
		out = append(out, fake.Route{Route: r, Handler: h.handler, Filter: notOptions})
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }

// notOptions keeps OPTIONS requests that are not CORS preflights from the scenarios
// (they are refused as unhandled); the engine answers preflights per the route's
// preflight option.
func notOptions(r *http.Request) bool {
	return r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") != ""
}

// withCommon returns o with the common options it does not set.
func withCommon(o, common *script.Options) *script.Options {
	if o == nil {
		c := *common
		return &c
	}
	x := *o
	if x.CORS == nil {
		x.CORS = common.CORS
	}
	if x.Preflight == nil {
		x.Preflight = common.Preflight
	}
	if x.Heartbeat == nil {
		x.Heartbeat = common.Heartbeat
	}
	h := map[string]*script.Template{}
	for k, v := range common.Headers {
		h[k] = v
	}
	for k, v := range x.Headers {
		h[k] = v
	}
	x.Headers = h
	return &x
}

// serveTimesThen serves the first times=N attempts of a run with the path's scenario and
// later ones with scenario then=NAME.
func serveTimesThen(c *fake.Context) {
	q := c.Request.URL.Query()
	path := c.Request.URL.Path
	if n, _ := strconv.Atoi(q.Get("times")); n > 0 && c.Attempt > n && q.Get("then") != "" {
		path = "/sse/" + q.Get("then")
	}
	_ = c.Forward(path)
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

// serveRaw answers with the byte script of the query: a respond answer whose body is
// the script's chunks (rawBase64 steps) with waits between them, then its ending.
func serveRaw(c *fake.Context) {
	q := c.Request.URL.Query()
	chunks, ok := rawScripts[q.Get("script")]
	if !ok {
		_ = c.Respond(http.StatusNotFound, http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, []byte("unknown script\n"))
		return
	}
	ctype := "text/event-stream"
	if q.Has("ctype") {
		ctype = q.Get("ctype")
	}
	headers := map[string]*script.Template{"Cache-Control": ptr(script.ParseTemplate("no-cache"))}
	if ctype == "none" {
		headers["Content-Type"] = nil // no header, and no sniffing
	} else {
		headers["Content-Type"] = ptr(literal(ctype))
	}
	gap := script.NumTemplate("{query.gap|20}")
	var body []script.Step
	for i, chunk := range chunks {
		if i > 0 {
			body = append(body, script.Step{Kind: script.StepWait, Num: &gap})
		}
		body = append(body, script.Step{Kind: script.StepRaw, Bytes: []byte(chunk)})
	}
	switch {
	case q.Get("cut") == "1":
		body = append(body, script.Step{Kind: script.StepWait, Num: &gap}, script.Step{Kind: script.StepDrop})
	case q.Get("end") == "1":
		body = append(body, script.Step{Kind: script.StepEnd})
	default:
		body = append(body, script.Step{Kind: script.StepHold})
	}
	_ = c.Serve(script.Answer{Kind: script.AnswerRespond, Respond: &script.Respond{Status: script.NumOf(200), Headers: headers, BodySteps: body}})
}

// literal returns a template whose text is s, whatever braces it has.
func literal(s string) script.Template {
	return script.ParseTemplate(strings.ReplaceAll(s, "{", "{{"))
}

// serveRedirect redirects to scenario to=NAME with the other parameters.
func serveRedirect(c *fake.Context) {
	q := c.Request.URL.Query()
	to := q.Get("to")
	if to == "" {
		to = "events"
	}
	code, _ := strconv.Atoi(q.Get("rcode"))
	switch code {
	case 301, 302, 303, 307, 308:
	default:
		code = http.StatusTemporaryRedirect
	}
	host := c.Request.Host
	if q.Get("cross") == "1" {
		host = otherHost(host)
	}
	rest := url.Values{}
	for k, v := range q {
		switch k {
		case "to", "rcode", "cross":
		default:
			rest[k] = v
		}
	}
	loc := "http://" + host + "/sse/" + url.PathEscape(to) + "?" + rest.Encode()
	_ = c.Respond(code, http.Header{"Location": {loc}}, nil)
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

// Names returns the names of the scenarios, sorted.
func Names() []string {
	names := make([]string, 0, len(scenarioDocs))
	for n := range scenarioDocs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Describe returns the one-line description of scenario name, or "" when there is none.
func Describe(name string) string { return scenarioDocs[name] }
