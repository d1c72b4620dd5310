package fake

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"

	"github.com/polysse/sse/internal/fake/script"
)

// Route is a route of the engine: a script route (pattern, name, match, options,
// answers, attempt key), answered by its answers or, when Handler is set, by the
// handler (then the route has no answers).
type Route struct {
	script.Route
	// Handler answers the route's attempts instead of answers.
	Handler Handler
	// Filter, when set, is one more condition on requests (after the pattern and
	// Match): for Go code, what Match cannot say.
	Filter func(*http.Request) bool
}

// route is a compiled Route; immutable once made.
type route struct {
	spec    script.Route
	name    string
	pat     script.Pattern
	mux     *http.ServeMux // the pattern's path alone, for matching and wildcards
	handler Handler
	filter  func(*http.Request) bool
}

// compile validates r and compiles it.
func compile(r Route) (*route, error) {
	if err := r.Route.Validate(r.Handler == nil); err != nil {
		return nil, err
	}
	if r.Handler != nil && len(r.Answers) > 0 {
		return nil, &script.Error{Path: "answers", Msg: "a route has answers or a handler, not both"}
	}
	pat, err := script.ParsePattern(r.Pattern)
	if err != nil {
		return nil, &script.Error{Path: "route", Msg: err.Error()}
	}
	rt := &route{spec: r.Route, name: r.RouteName(), pat: pat, handler: r.Handler, filter: r.Filter}
	rt.mux = http.NewServeMux()
	if err := register(rt.mux, pat.Path, pat.Wildcards); err != nil {
		return nil, &script.Error{Path: "route", Msg: err.Error()}
	}
	return rt, nil
}

// register adds the capturing handler for path to mux, turning its panic on a pattern
// it rejects into an error.
func register(mux *http.ServeMux, path string, wildcards []string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%v", v)
		}
	}()
	mux.HandleFunc(path, func(_ http.ResponseWriter, r *http.Request) {
		c, _ := r.Context().Value(captureKey{}).(*capture)
		if c == nil {
			return
		}
		c.hit = true
		if len(wildcards) > 0 {
			c.params = make(map[string]string, len(wildcards))
			for _, w := range wildcards {
				c.params[w] = r.PathValue(w)
			}
		}
	})
	return nil
}

type captureKey struct{}

type capture struct {
	hit    bool
	params map[string]string
}

// discard is a ResponseWriter for the mux's own answers (redirects, not found).
type discard struct{ h http.Header }

func (d *discard) Header() http.Header {
	if d.h == nil {
		d.h = http.Header{}
	}
	return d.h
}
func (*discard) Write(b []byte) (int, error) { return len(b), nil }
func (*discard) WriteHeader(int)             {}

// match reports whether r matches the route with method, and returns the path's
// wildcards.
func (rt *route) match(r *http.Request, method string) (map[string]string, bool) {
	if m := rt.pat.Method; m != "" && m != method && (m != http.MethodGet || method != http.MethodHead) {
		return nil, false
	}
	c := &capture{}
	rt.mux.ServeHTTP(&discard{}, r.WithContext(context.WithValue(r.Context(), captureKey{}, c)))
	if !c.hit {
		return nil, false
	}
	if mt := rt.spec.Match; mt != nil {
		q := r.URL.Query()
		for k, want := range mt.Query {
			if !cond(q[k], want) {
				return nil, false
			}
		}
		for k, want := range mt.Headers {
			if !cond(r.Header[textproto.CanonicalMIMEHeaderKey(k)], want) {
				return nil, false
			}
		}
	}
	if rt.filter != nil && !rt.filter(r) {
		return nil, false
	}
	if c.params == nil {
		c.params = map[string]string{}
	}
	return c.params, true
}

// cond tests the values of a parameter or header against a Match value.
func cond(vals []string, want *string) bool {
	switch {
	case want == nil:
		return len(vals) == 0
	case *want == script.AnyValue:
		return len(vals) > 0
	default:
		return len(vals) > 0 && vals[0] == *want
	}
}

// answerFor returns the answer of attempt n (1-based) among the route's answers.
func (rt *route) answerFor(n int) *script.Answer {
	as := rt.spec.Answers
	for i := range as {
		t := max(as[i].Times, 1)
		if n <= t || i == len(as)-1 {
			return &as[i]
		}
		n -= t
	}
	return nil
}

// ErrNoRoute is wrapped by the errors of calls that name a route the scope does not
// have.
var ErrNoRoute = errors.New("fake: no such route")
