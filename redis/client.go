package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/rueidis"
)

// ErrUnavailable means that Redis could not serve a request now: the connection failed or
// was lost, Redis did not answer within the timeout, or it answered with an error that says
// "not now" (LOADING, BUSY, MASTERDOWN, READONLY, TRYAGAIN, CLUSTERDOWN, NOREPLICAS, OOM).
// Retrying later may succeed. Errors of this package wrap it; test with errors.Is.
var ErrUnavailable = errors.New("redis: unavailable")

// Defaults of ClientOption.
const (
	// DefaultDialTimeout bounds the opening of one connection to Redis.
	DefaultDialTimeout = 2 * time.Second
	// DefaultConnTimeout is how long a connection may wait for Redis's answers before it
	// is considered dead, closed and redialled (rueidis's ConnWriteTimeout; its own default
	// is 10 s).
	DefaultConnTimeout = 5 * time.Second
	// DefaultClientName is the name the connections give themselves (CLIENT SETNAME), so
	// that CLIENT LIST shows which connections are polysse's.
	DefaultClientName = "polysse"
)

// ClientOption returns the rueidis options this package recommends for a Redis at addrs
// ("host:port"; several for a cluster or for Sentinels, see rueidis.ClientOption). The
// caller may change any field (password, TLS, Sentinel master set) before passing it to
// rueidis.NewClient.
//
// Compared with rueidis's own defaults: client-side caching is off (nothing here reads
// cached values); connections time out after DefaultDialTimeout when opening and
// DefaultConnTimeout when Redis stops answering; they are named DefaultClientName. Writes
// are flushed at once (MaxFlushDelay 0, rueidis's default): in the repository's client
// benchmark (internal/bench/README.md), a MaxFlushDelay of 100 µs made 64 concurrent
// publishes 1.4× slower and saved no CPU; it saved CPU only on token operations, at a
// higher p99 latency.
func ClientOption(addrs ...string) rueidis.ClientOption {
	o := rueidis.ClientOption{InitAddress: addrs}
	applyDefaults(&o)
	return o
}

// applyDefaults fills the fields of o that are unset with this package's recommendations.
func applyDefaults(o *rueidis.ClientOption) {
	o.DisableCache = true
	if o.Dialer.Timeout == 0 {
		o.Dialer.Timeout = DefaultDialTimeout
	}
	if o.ConnWriteTimeout == 0 {
		o.ConnWriteTimeout = DefaultConnTimeout
	}
	if o.ClientName == "" {
		o.ClientName = DefaultClientName
	}
}

// Dial connects to Redis and returns a client with ClientOption's settings. addr is
// "host:port", or a URL: redis://[user:password@]host[:port][/db], rediss://… for TLS,
// unix:///path/to/socket (rueidis.ParseURL; its query parameters such as dial_timeout
// override the defaults).
//
// Dial fails, with an error wrapping ErrUnavailable, when Redis cannot be reached now, and
// with another error when Redis refuses the connection (a wrong password, say); the client
// it returns reconnects by itself when Redis goes away later. The caller must Close the
// client.
func Dial(addr string) (rueidis.Client, error) {
	if addr == "" {
		return nil, errors.New("redis: dial: empty address")
	}
	o := rueidis.ClientOption{InitAddress: []string{addr}}
	if strings.Contains(addr, "://") {
		var err error
		if o, err = rueidis.ParseURL(addr); err != nil {
			return nil, fmt.Errorf("redis: dial: %w", err)
		}
	}
	applyDefaults(&o)
	c, err := rueidis.NewClient(o)
	if err != nil {
		return nil, failure(context.Background(), "dial "+redactURL(addr), err)
	}
	return c, nil
}

// redactURL hides a password in a URL, for error messages.
func redactURL(addr string) string {
	scheme, rest, ok := strings.Cut(addr, "://")
	if !ok {
		return addr
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		if slash := strings.IndexByte(rest, '/'); slash < 0 || at < slash {
			rest = "***@" + rest[at+1:]
		}
	}
	return scheme + "://" + rest
}

// withTimeout bounds ctx by timeout unless timeout is negative.
func withTimeout(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout < 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, timeout)
}

// failure turns an error of a Redis call made under ctx (the caller's context) for op into
// this package's error: ErrUnavailable for a failure to get an answer or a "not now" reply,
// the caller's own context error when the caller gave up, the reply otherwise.
func failure(ctx context.Context, op string, err error) error {
	if rerr, ok := rueidis.IsRedisErr(err); ok {
		if notNow(rerr.Error()) {
			return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
		}
		return fmt.Errorf("redis: %s: %w", op, err)
	}
	if cerr := gaveUp(ctx); cerr != nil {
		if errors.Is(err, cerr) {
			return fmt.Errorf("redis: %s: %w", op, err)
		}
		return fmt.Errorf("redis: %s: %w (%w)", op, cerr, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}

// gaveUp returns the caller's context error, also when its deadline has passed but the
// context is not marked done yet (the client may act on the deadline first).
func gaveUp(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// notNow reports whether a Redis error reply means that Redis cannot serve the command now
// but may later.
func notNow(reply string) bool {
	code, _, _ := strings.Cut(reply, " ")
	switch code {
	case "LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN", "CLUSTERDOWN", "NOREPLICAS", "OOM":
		return true
	}
	return false
}
