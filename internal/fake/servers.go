package fake

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/fake/script"
	"github.com/polysse/sse/server"
)

// resolved are a route's options for one request, templates expanded.
type resolved struct {
	key     string // identifies the server options (the server pool's key)
	opts    server.Options
	header  http.Header // Options.Headers (nil values: remove)
	cors    string
	preflt  bool
	refusal *server.StatusError // nil: none
	topics  []string
	leiq    string // lastEventIdQuery
}

// resolve expands the route's options for v; e gives the defaults.
func resolve(e *Engine, o *script.Options, v *script.Vars) (*resolved, error) {
	r := &resolved{cors: e.opts.CORS, preflt: e.opts.Preflight}
	if o == nil {
		r.key = "-"
		return r, nil
	}
	var key strings.Builder
	ms := func(field string, n *script.Num) (time.Duration, bool, error) {
		if n == nil {
			key.WriteString("|")
			return 0, false, nil
		}
		x, ok, err := n.Expand(v)
		if err != nil {
			return 0, false, &script.FieldError{Field: "options." + field, Err: err}
		}
		key.WriteString("|" + strconv.FormatBool(ok) + strconv.FormatInt(x, 10))
		return time.Duration(x) * time.Millisecond, ok, nil
	}
	d, ok, err := ms("heartbeat", o.Heartbeat)
	if err != nil {
		return nil, err
	}
	if ok {
		r.opts.HeartbeatInterval = d
		if d == 0 {
			r.opts.HeartbeatInterval = -1
		}
	}
	if r.opts.ReconnectionTime, _, err = ms("reconnectionTime", o.ReconnectionTime); err != nil {
		return nil, err
	}
	if d, _, err = ms("replay", o.Replay); err != nil {
		return nil, err
	}
	r.opts.ReplaySize = int(d / time.Millisecond)
	if r.opts.ReplayAge, _, err = ms("replayAge", o.ReplayAge); err != nil {
		return nil, err
	}
	if r.opts.TokenTTL, _, err = ms("tokenTTL", o.TokenTTL); err != nil {
		return nil, err
	}
	r.opts.AutoID = o.AutoIDs
	key.WriteString("|" + strconv.FormatBool(o.AutoIDs))
	if o.GapEvent != nil {
		x, err := o.GapEvent.Expand(v)
		if err != nil {
			return nil, &script.FieldError{Field: "options.gapEvent." + fieldOf(err), Err: errors.Unwrap(err)}
		}
		ev := toSSE(x)
		if err := ev.Validate(); err != nil {
			return nil, &script.FieldError{Field: "options.gapEvent", Err: err}
		}
		r.opts.GapEvent = &ev
		key.WriteString("|gap" + strconv.Quote(x.Type) + strconv.Quote(x.ID) + strconv.Quote(x.Data) + x.Retry.String())
	}
	r.leiq = o.LastEventIDQuery
	r.opts.LastEventIDQuery = o.LastEventIDQuery
	key.WriteString("|" + strconv.Quote(o.LastEventIDQuery))
	if len(o.Headers) > 0 {
		r.header = make(http.Header, len(o.Headers))
		for _, k := range sortedKeys(o.Headers) {
			ck := http.CanonicalHeaderKey(k)
			if t := o.Headers[k]; t != nil {
				val := t.Expand(v)
				if val == "" {
					continue // an empty expansion adds nothing
				}
				if strings.ContainsAny(val, "\r\n\x00") {
					return nil, &script.FieldError{Field: "options.headers." + k, Err: errors.New("contains CR, LF or NUL")}
				}
				r.header[ck] = []string{val}
				key.WriteString("|" + ck + ":" + strconv.Quote(val))
			} else {
				r.header[ck] = nil
				key.WriteString("|" + ck + ":nil")
			}
		}
		r.opts.Header = r.header
	}
	r.key = key.String()
	for _, t := range o.Topics {
		r.topics = append(r.topics, t.Expand(v))
	}
	if o.CORS != nil {
		r.cors = o.CORS.Expand(v)
		if !script.ValidCORS(r.cors) {
			return nil, &script.FieldError{Field: "options.cors", Err: &script.ValueError{Value: r.cors, Want: `"echo", "echo-nocreds", "star" or "off"`}}
		}
	}
	if o.Preflight != nil {
		if r.preflt, err = o.Preflight.Expand(v); err != nil {
			return nil, &script.FieldError{Field: "options.preflight", Err: err}
		}
	}
	if o.Refuse != nil {
		code, ok, err := o.Refuse.Status.Expand(v)
		if err == nil && (!ok || !script.ValidStatus(code)) {
			err = &script.ValueError{Value: strconv.FormatInt(code, 10), Want: "a status from 200 to 599"}
		}
		if err != nil {
			return nil, &script.FieldError{Field: "options.refuse.status", Err: err}
		}
		se := &server.StatusError{Code: int(code)}
		if o.Refuse.Body != nil {
			se.Msg = o.Refuse.Body.Expand(v)
		}
		for _, k := range sortedKeys(o.Refuse.Headers) {
			if se.Header == nil {
				se.Header = http.Header{}
			}
			ck := http.CanonicalHeaderKey(k)
			if t := o.Refuse.Headers[k]; t != nil {
				if val := t.Expand(v); val != "" {
					se.Header[ck] = []string{val}
				}
			}
		}
		r.refusal = se
	}
	return r, nil
}

func fieldOf(err error) string {
	var fe *script.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ { // insertion sort: a handful of keys
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// toSSE converts an expanded script event.
func toSSE(x script.Expanded) sse.Event {
	return sse.Event{Type: x.Type, ID: x.ID, Data: x.Data, Retry: x.Retry}
}

// DefaultMaxServers is the default of Options.MaxServers.
const DefaultMaxServers = 32

// errTooManyServers is the cause of a 500 answer beyond Options.MaxServers.
var errTooManyServers = errors.New("more distinct server options than Options.MaxServers in one scope")

// pool holds a scope's servers, one per distinct resolved option set, and their
// completion store. Its mutex is a leaf.
type pool struct {
	e       *Engine
	mu      sync.Mutex
	servers map[string]*server.Server
	order   []*server.Server
	tokens  *tokenStore
}

func newPool(e *Engine) *pool {
	return &pool{e: e, servers: map[string]*server.Server{}, tokens: newTokenStore()}
}

// get returns the server for r, creating it.
func (p *pool) get(r *resolved) (*server.Server, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if srv, ok := p.servers[r.key]; ok {
		return srv, nil
	}
	if len(p.servers) >= p.e.opts.MaxServers {
		return nil, errTooManyServers
	}
	o := r.opts
	o.Stream = streamFunc
	o.Refuse = refuseFunc
	o.Topics = topicsFunc
	o.Store = p.tokens
	o.Logger = p.e.opts.Logger
	o.MaxRequestBody = -1 // the engine has read it and hands it on
	srv := server.New(o)
	p.servers[r.key] = srv
	p.order = append(p.order, srv)
	return srv, nil
}

// all returns the servers, oldest first.
func (p *pool) all() []*server.Server {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*server.Server(nil), p.order...)
}

// shutdown shuts every server down, waiting for them at most until ctx is done.
func (p *pool) shutdown(ctx context.Context) error {
	var first error
	for _, srv := range p.all() {
		if err := srv.Shutdown(ctx); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// The Options functions of every server of the engine: they find the request's
// exchange in its context.
func streamFunc(s *server.Session) {
	if x := exchangeOf(s.Request()); x != nil {
		x.runStream(s)
	}
}

func refuseFunc(r *http.Request) error {
	if x := exchangeOf(r); x != nil && x.res.refusal != nil {
		return x.res.refusal
	}
	return nil
}

func topicsFunc(r *http.Request) []string {
	if x := exchangeOf(r); x != nil {
		return x.res.topics
	}
	return nil
}

// maxTokens bounds the tokens a tokenStore remembers having issued.
const maxTokens = 10_000

// tokenStore is a scope's completion store: an sse.MemoryStore that also remembers
// which tokens it issued, so that a reconnect with one of them is served by a server
// (which redeems it) whatever the route's answer for that attempt.
type tokenStore struct {
	mem    sse.MemoryStore
	mu     sync.Mutex
	issued map[string]time.Time // token → expiry
}

func newTokenStore() *tokenStore { return &tokenStore{issued: map[string]time.Time{}} }

// Record implements sse.CompletionStore.
func (t *tokenStore) Record(ctx context.Context, token string, outcome sse.Outcome, ttl time.Duration) error {
	if err := t.mem.Record(ctx, token, outcome, ttl); err != nil {
		return err
	}
	if ttl <= 0 {
		ttl = sse.DefaultTokenTTL
	}
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.issued) >= maxTokens {
		for k, exp := range t.issued {
			if !now.Before(exp) {
				delete(t.issued, k)
			}
		}
	}
	if len(t.issued) < maxTokens {
		t.issued[token] = now.Add(ttl)
	}
	return nil
}

// Redeem implements sse.CompletionStore.
func (t *tokenStore) Redeem(ctx context.Context, token string) (sse.Outcome, bool, error) {
	t.mu.Lock()
	delete(t.issued, token)
	t.mu.Unlock()
	return t.mem.Redeem(ctx, token)
}

// has reports whether token was issued here and may still be redeemed.
func (t *tokenStore) has(token string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	exp, ok := t.issued[token]
	return ok && time.Now().Before(exp)
}
