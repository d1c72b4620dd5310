package eventsource

import (
	"errors"
	"io"

	"github.com/polysse/sse/internal/httplite"
)

// Header is a set of HTTP header fields, the client's stand-in for net/http's Header.
// Keys are stored in canonical form (for example "Last-Event-Id"); Get, Set, Add, Del and
// Values accept any case. It has the same underlying type as net/http's Header, so the
// two convert to each other freely.
type Header map[string][]string

// Get returns the first value of key, or "".
func (h Header) Get(key string) string {
	if v := h[httplite.CanonicalKey(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns all values of key.
func (h Header) Values(key string) []string { return h[httplite.CanonicalKey(key)] }

// Set replaces the values of key with value.
func (h Header) Set(key, value string) { h[httplite.CanonicalKey(key)] = []string{value} }

// Add appends value to the values of key.
func (h Header) Add(key, value string) {
	k := httplite.CanonicalKey(key)
	h[k] = append(h[k], value)
}

// Del removes key.
func (h Header) Del(key string) { delete(h, httplite.CanonicalKey(key)) }

// Clone returns a deep copy of h, or nil when h is nil.
func (h Header) Clone() Header {
	if h == nil {
		return nil
	}
	c := make(Header, len(h))
	for k, v := range h {
		c[k] = append([]string(nil), v...)
	}
	return c
}

// Request is one connection attempt of a Client, as given to a Transport.
type Request struct {
	// Method is the HTTP method, GET unless configured otherwise.
	Method string
	// URL is the absolute URL to fetch, query parameter for the last event ID included.
	URL string
	// Header holds the request headers: Accept, Cache-Control, Last-Event-ID (when not
	// empty) and the configured ones. The transport may read but must not keep it.
	Header Header
	// Body is the request body, or nil. It is the same slice on every attempt: the
	// transport must not modify it.
	Body []byte
	// WithCredentials asks for credentials on cross-origin requests (the fetch
	// credentials mode "include" instead of "same-origin"). Native transports ignore it.
	WithCredentials bool
}

// Response is the answer to a Request.
type Response struct {
	// StatusCode is the HTTP status, e.g. 200.
	StatusCode int
	// StatusText is the reason phrase, e.g. "OK"; it may be empty (HTTP/2 has none).
	StatusText string
	// Header holds the response headers.
	Header Header
	// URL is the final URL after redirects.
	URL string
	// Body streams the response body. The Client closes it.
	Body io.ReadCloser
	// Raw is the transport's own response, for the hooks of the package that wraps the
	// client (the net/http transport puts its *http.Response here). The client ignores it.
	Raw any
}

// Transport performs connection attempts for a Client.
//
// RoundTrip sends req and returns the response once its headers have arrived. The ctx a
// Client passes also implements context.Context (Deadline and Value delegate to the
// context given to Run). Cancelling ctx must abort the request and make reads from the
// body return promptly with an error. An error that wraps ErrPermanent, from RoundTrip or
// from reading the body, makes the client fail the connection for good (CloseNetwork: a
// CORS failure, a page that stopped loading) instead of reconnecting; any other error
// counts as a network error, after which the client reconnects. Implementations
// must be safe for concurrent use.
type Transport interface {
	RoundTrip(ctx Context, req *Request) (*Response, error)
}

// TransportFunc adapts a function to the Transport interface.
type TransportFunc func(ctx Context, req *Request) (*Response, error)

// RoundTrip calls f.
func (f TransportFunc) RoundTrip(ctx Context, req *Request) (*Response, error) {
	return f(ctx, req)
}

// Pusher is implemented by a Response.Body whose bytes arrive by callback rather than by
// Read, such as the WebAssembly binding's fetch body: the client then calls Push once
// instead of reading, and handles each chunk inside deliver, on the goroutine that calls
// it, while Run waits for the stream to end. It saves a goroutine hand-off per chunk.
//
// Push must return at once. The body then calls deliver with each chunk of the body, in
// order (the chunk may be reused once deliver returns), and once with a non-nil error at
// the end (io.EOF for a clean end), unless deliver returned false first: the stream is
// then over, and deliver must not be called again. Calls never overlap, and deliver must
// not be called from inside one of the client's callbacks. As Read must, the body ends
// the stream with an error promptly once the attempt's context is cancelled.
type Pusher interface {
	Push(deliver func(chunk []byte, err error) (more bool))
}

// ErrPermanent marks a transport error after which reconnecting is futile.
var ErrPermanent = errors.New("sse: permanent transport failure")
