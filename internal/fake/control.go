package fake

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/fake/script"
	"github.com/polysse/sse/internal/protocol"
)

// ControlPath is where the standalone faces mount the control API.
const ControlPath = "/__polysse"

// MaxWait bounds the wait of the control API's requests and connections calls.
const MaxWait = 30 * time.Second

// NewControl returns the HTTP control API of e (JSON in and out), for paths relative to
// where it is mounted (the standalone faces mount it at ControlPath with
// http.StripPrefix):
//
//	GET    /health                                  {ok, version}
//	POST   /scopes                                  a new scope: {scope, baseURL}
//	DELETE /scopes/{s}                              end its connections, forget it
//	PUT    /scopes/{s}/routes                       replace the overrides with a script file's routes
//	POST   /scopes/{s}/routes                       add one override (a route object)
//	DELETE /scopes/{s}/routes                       reset the scope
//	POST   /scopes/{s}/next                         {route, answer}: the route's next answer
//	GET    /scopes/{s}/requests?route=&min=&wait=   the journal, after waiting (wait ms, at most 30 000) for min entries
//	GET    /scopes/{s}/connections?route=&min=&wait=  the open connections, waiting likewise
//	POST   /scopes/{s}/connections/{id}/{op}        op: send {type,id,data,retry}, comment {text},
//	                                                raw {raw} or {rawBase64}, end, drop, complete {data}, fail {data}
//	POST   /scopes/{s}/broadcast                    {route, event}: every open connection of the route
//	POST   /scopes/{s}/publish                      {topic, event}: through the scope's servers
//
// The scope "default" is the one of requests outside ScopePrefix; a scope's baseURL is
// where its requests go (the engine's URL, as the control request reached it, with
// ScopePrefix and the name). Errors are {"error": "..."} with 400 (bad input, naming the
// field), 404 (no such scope, route or connection) or 409 (the connection has ended).
// Every answer allows any origin (CORS "*"), preflights included.
func NewControl(e *Engine) http.Handler {
	c := &control{e: e, mux: http.NewServeMux()}
	m := c.mux
	m.HandleFunc("GET /health", c.health)
	m.HandleFunc("POST /scopes", c.newScope)
	m.HandleFunc("DELETE /scopes/{s}", c.deleteScope)
	m.HandleFunc("PUT /scopes/{s}/routes", c.scoped(c.setRoutes))
	m.HandleFunc("POST /scopes/{s}/routes", c.scoped(c.addRoute))
	m.HandleFunc("DELETE /scopes/{s}/routes", c.scoped(c.reset))
	m.HandleFunc("POST /scopes/{s}/next", c.scoped(c.next))
	m.HandleFunc("GET /scopes/{s}/requests", c.scoped(c.requests))
	m.HandleFunc("GET /scopes/{s}/connections", c.scoped(c.connections))
	m.HandleFunc("POST /scopes/{s}/connections/{id}/{op}", c.scoped(c.connOp))
	m.HandleFunc("POST /scopes/{s}/broadcast", c.scoped(c.broadcast))
	m.HandleFunc("POST /scopes/{s}/publish", c.scoped(c.publish))
	return c
}

type control struct {
	e   *Engine
	mux *http.ServeMux
}

func (c *control) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "no-store")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE")
		if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
			h.Set("Access-Control-Allow-Headers", rh)
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if _, pattern := c.mux.Handler(r); pattern == "" {
		writeErr(w, http.StatusNotFound, errors.New("fake: no control call "+r.Method+" "+r.URL.Path))
		return
	}
	c.mux.ServeHTTP(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// statusOf maps an engine error to its status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrNoScope), errors.Is(err, ErrNoRoute), errors.Is(err, ErrNoConn):
		return http.StatusNotFound
	case errors.Is(err, ErrEnded):
		return http.StatusConflict
	case errors.Is(err, ErrClosed):
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

func (c *control) scoped(f func(http.ResponseWriter, *http.Request, *Scope)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("s")
		s := c.e.Scope(name)
		if s == nil {
			writeErr(w, http.StatusNotFound, errNoScope(name))
			return
		}
		f(w, r, s)
	}
}

// readJSONBody reads the request body (at most script.MaxFileSize).
func readJSONBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, script.MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > script.MaxFileSize {
		return nil, errors.New("fake: the request body is longer than 1 MiB")
	}
	return b, nil
}

// decode decodes the JSON object in r's body into the raw fields of m, strictly: a
// field not in keys is an error.
func decode(r *http.Request, keys ...string) (map[string]json.RawMessage, error) {
	b, err := readJSONBody(r)
	if err != nil {
		return nil, err
	}
	m := map[string]json.RawMessage{}
	if len(b) == 0 {
		return m, nil
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, errors.New("fake: the body is not a JSON object: " + err.Error())
	}
	for k := range m {
		known := false
		for _, key := range keys {
			known = known || k == key
		}
		if !known {
			return nil, errors.New("fake: unknown field " + strconv.Quote(k))
		}
	}
	return m, nil
}

func (c *control) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "version": protocol.Version})
}

// baseURL returns the engine's URL as r reached the control API.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (c *control) newScope(w http.ResponseWriter, r *http.Request) {
	s, err := c.e.NewScope()
	if err != nil {
		writeErr(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"scope": s.Name(), "baseURL": baseURL(r) + s.Prefix()})
}

func (c *control) deleteScope(w http.ResponseWriter, r *http.Request) {
	if err := c.e.DeleteScope(r.PathValue("s")); err != nil {
		status := statusOf(err)
		if !errors.Is(err, ErrNoScope) {
			status = http.StatusBadRequest
		}
		writeErr(w, status, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (c *control) setRoutes(w http.ResponseWriter, r *http.Request, s *Scope) {
	b, err := readJSONBody(r)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	f, err := script.ParseFile(b)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	rs := make([]Route, len(f.Routes))
	for i, rt := range f.Routes {
		rs[i] = Route{Route: rt}
	}
	if err := s.SetOverrides(rs); err != nil {
		writeErr(w, statusOf(err), err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (c *control) addRoute(w http.ResponseWriter, r *http.Request, s *Scope) {
	b, err := readJSONBody(r)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	rt, err := script.ParseRoute(b, true)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	if err := s.Use(Route{Route: *rt}); err != nil {
		writeErr(w, statusOf(err), err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (c *control) reset(w http.ResponseWriter, _ *http.Request, s *Scope) {
	s.Reset()
	w.WriteHeader(http.StatusNoContent)
}

func (c *control) next(w http.ResponseWriter, r *http.Request, s *Scope) {
	m, err := decode(r, "route", "answer")
	if err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	var route string
	if err := json.Unmarshal(m["route"], &route); err != nil || route == "" {
		writeErr(w, http.StatusBadRequest, errors.New(`fake: "route" must name a route`))
		return
	}
	a, err := script.ParseAnswer(m["answer"])
	if err != nil {
		writeErr(w, http.StatusBadRequest, prefixErr("answer", err))
		return
	}
	if err := s.Next(route, *a); err != nil {
		writeErr(w, statusOf(err), err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// waitParams reads min and wait.
func waitParams(r *http.Request) (n int, ctx context.Context, cancel context.CancelFunc, err error) {
	q := r.URL.Query()
	if v := q.Get("min"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			return 0, nil, nil, errors.New(`fake: "min" must be a whole number`)
		}
	}
	wait := time.Duration(0)
	if v := q.Get("wait"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 0 {
			return 0, nil, nil, errors.New(`fake: "wait" must be a number of milliseconds`)
		}
		wait = min(time.Duration(ms)*time.Millisecond, MaxWait)
	}
	ctx, cancel = context.WithTimeout(r.Context(), wait)
	return n, ctx, cancel, nil
}

func (c *control) requests(w http.ResponseWriter, r *http.Request, s *Scope) {
	n, ctx, cancel, err := waitParams(r)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	defer cancel()
	got, err := s.WaitRequests(ctx, r.URL.Query().Get("route"), n)
	if got == nil {
		got = []Entry{}
	}
	if err != nil && n > 0 {
		w.Header().Set("X-Polysse-Wait", "timeout")
	}
	writeJSON(w, http.StatusOK, got)
}

func (c *control) connections(w http.ResponseWriter, r *http.Request, s *Scope) {
	n, ctx, cancel, err := waitParams(r)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	defer cancel()
	got, err := s.WaitConns(ctx, r.URL.Query().Get("route"), true, n)
	if err != nil && n > 0 {
		w.Header().Set("X-Polysse-Wait", "timeout")
	}
	out := make([]ConnInfo, 0, len(got))
	for _, conn := range got {
		out = append(out, conn.Info())
	}
	writeJSON(w, http.StatusOK, out)
}

// DecodeEvent decodes an event object of the API ({type, id, data, retry}; data that is
// not a string is sent as its JSON text): its strings are taken as they are (an API call
// expands no template). The error names the field.
func DecodeEvent(raw []byte) (sse.Event, error) {
	ev, err := script.ParseEvent(raw)
	if err != nil {
		return sse.Event{}, err
	}
	x := toSSE(ev.Literal())
	if err := x.Validate(); err != nil {
		return sse.Event{}, err
	}
	return x, nil
}

// eventOf decodes the event in field.
func eventOf(raw json.RawMessage, field string) (sse.Event, error) {
	if len(raw) == 0 {
		return sse.Event{}, errors.New(`fake: missing "` + field + `"`)
	}
	ev, err := DecodeEvent(raw)
	if err != nil {
		return sse.Event{}, prefixErr(field, err)
	}
	return ev, nil
}

func (c *control) connOp(w http.ResponseWriter, r *http.Request, s *Scope) {
	conn, err := s.Conn(r.PathValue("id"))
	if err != nil {
		writeErr(w, http.StatusNotFound, err)
		return
	}
	var m map[string]json.RawMessage
	str := func(key string) (string, error) {
		var v string
		if raw, ok := m[key]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, &v); err != nil {
				return "", errors.New(`fake: "` + key + `" must be a string`)
			}
		}
		return v, nil
	}
	switch op := r.PathValue("op"); op {
	case "send":
		b, err := readJSONBody(r)
		if err == nil {
			var ev sse.Event
			if ev, err = eventOf(b, "event"); err == nil {
				err = conn.Send(ev)
			}
		}
		c.done(w, err)
	case "comment":
		if m, err = decode(r, "text"); err == nil {
			var text string
			if text, err = str("text"); err == nil {
				err = conn.Comment(text)
			}
		}
		c.done(w, err)
	case "raw":
		if m, err = decode(r, "raw", "rawBase64"); err == nil {
			var b []byte
			if _, ok := m["rawBase64"]; ok {
				var t string
				if t, err = str("rawBase64"); err == nil {
					if b, err = base64.StdEncoding.DecodeString(t); err != nil {
						err = errors.New("fake: rawBase64: " + err.Error())
					}
				}
			} else {
				var t string
				t, err = str("raw")
				b = []byte(t)
			}
			if err == nil {
				err = conn.Raw(b)
			}
		}
		c.done(w, err)
	case "end":
		c.done(w, conn.End())
	case "drop":
		c.done(w, conn.Drop())
	case "complete", "fail":
		if m, err = decode(r, "data"); err == nil {
			data := ""
			if raw, ok := m["data"]; ok && string(raw) != "null" {
				var d script.Data
				if d, err = script.DataJSON(raw); err == nil {
					data = d.Literal()
				}
			}
			if err == nil {
				if op == "complete" {
					err = conn.Complete(data)
				} else {
					err = conn.Fail(data)
				}
			}
		}
		c.done(w, err)
	default:
		writeErr(w, http.StatusNotFound, errors.New("fake: no connection operation "+strconv.Quote(op)))
	}
}

func (c *control) done(w http.ResponseWriter, err error) {
	if err != nil {
		writeErr(w, statusOf(err), err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// nameAndEvent decodes {key: name, event: {...}} (a broadcast's route, a publish's topic).
func nameAndEvent(r *http.Request, key, what string) (string, sse.Event, error) {
	m, err := decode(r, key, "event")
	if err != nil {
		return "", sse.Event{}, err
	}
	var name string
	if err := json.Unmarshal(m[key], &name); err != nil || name == "" {
		return "", sse.Event{}, errors.New(`fake: "` + key + `" must name ` + what)
	}
	ev, err := eventOf(m["event"], "event")
	return name, ev, err
}

func (c *control) broadcast(w http.ResponseWriter, r *http.Request, s *Scope) {
	route, ev, err := nameAndEvent(r, "route", "a route")
	if err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	n, err := s.Broadcast(route, ev)
	if err != nil {
		writeErr(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"sent": n})
}

func (c *control) publish(w http.ResponseWriter, r *http.Request, s *Scope) {
	topic, ev, err := nameAndEvent(r, "topic", "a topic")
	if err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	ids, err := s.Publish(r.Context(), topic, ev)
	if err != nil {
		writeErr(w, http.StatusServiceUnavailable, err)
		return
	}
	if ids == nil {
		ids = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ids": ids})
}
