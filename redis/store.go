package redis

import (
	"context"
	"errors"
	"time"

	sse "github.com/polysse/sse"
	"github.com/redis/rueidis"
)

// ErrTokenExists is returned by Store.Record for a token that is already recorded and not
// yet redeemed or expired. Tokens from sse.NewToken never collide; this catches a token
// recorded twice, and the record is left as it was.
var ErrTokenExists = errors.New("redis: token already recorded")

// Defaults of StoreOptions.
const (
	// DefaultPrefix begins every key this package writes.
	DefaultPrefix = "polysse"
	// DefaultTimeout bounds one Store operation.
	DefaultTimeout = time.Second
)

// StoreOptions configure a Store. The zero value uses the defaults.
type StoreOptions struct {
	// Prefix begins every key: a token is kept under <Prefix>:tok:<token>. Servers that
	// must redeem each other's tokens use the same Prefix; unrelated deployments sharing one
	// Redis use different ones. Empty means DefaultPrefix.
	Prefix string
	// Timeout bounds each Record and Redeem, on top of the caller's context: past it the
	// call returns an error wrapping ErrUnavailable. Zero means DefaultTimeout; a negative
	// value means no bound but the caller's context.
	Timeout time.Duration
}

// Store is a completion-token store (sse.CompletionStore) on Redis, shared by every server
// node that uses the same Redis and Prefix.
//
// Record is SET <key> <outcome> PX <ttl> NX and Redeem is GETDEL <key>, each one round
// trip: Redis enforces the expiry, and of any number of concurrent Redeem calls for one
// token, on any number of nodes, exactly one gets the outcome. A Store is safe for
// concurrent use. It does not own its client: closing the client is the caller's job.
type Store struct {
	c       rueidis.Client
	prefix  string
	timeout time.Duration
}

// The Store implements sse.CompletionStore.
var _ sse.CompletionStore = (*Store)(nil)

// NewStore returns a Store that keeps tokens in Redis through c (see Dial).
func NewStore(c rueidis.Client, opts StoreOptions) *Store {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	return &Store{c: c, prefix: opts.Prefix, timeout: opts.Timeout}
}

func (s *Store) key(token string) string { return s.prefix + ":tok:" + token }

// Record stores token with its outcome for ttl (sse.DefaultTokenTTL when ttl <= 0; rounded
// up to whole milliseconds). It returns ErrTokenExists when the token is already recorded
// (the record is left as it was), an error wrapping ErrUnavailable when Redis cannot take
// it now, and an error for an empty token or outcome. After an ErrUnavailable the token may
// have been recorded all the same (Redis executed the SET, its answer was lost): to try
// again, record a new token rather than this one.
func (s *Store) Record(ctx context.Context, token string, outcome sse.Outcome, ttl time.Duration) error {
	switch {
	case s == nil || s.c == nil:
		return errors.New("redis: record: Store has no client (use NewStore)")
	case token == "":
		return errors.New("redis: record: empty token")
	case outcome == "":
		return errors.New("redis: record: empty outcome")
	}
	if ttl <= 0 {
		ttl = sse.DefaultTokenTTL
	}
	ms := (ttl + time.Millisecond - 1).Milliseconds()
	cctx, cancel := withTimeout(ctx, s.timeout)
	defer cancel()
	cmd := s.c.B().Set().Key(s.key(token)).Value(string(outcome)).Nx().PxMilliseconds(ms).Build()
	err := s.c.Do(cctx, cmd).Error()
	switch {
	case err == nil:
		return nil
	case rueidis.IsRedisNil(err): // NX: the key exists
		return ErrTokenExists
	}
	return failure(ctx, "record", err)
}

// Redeem removes token and returns its outcome and true, or "" and false when the token is
// unknown, already redeemed or expired. On an error (wrapping ErrUnavailable when Redis
// cannot answer now) it returns "" and false, and the token is still there unless Redis
// executed the GETDEL and its answer was lost.
func (s *Store) Redeem(ctx context.Context, token string) (sse.Outcome, bool, error) {
	switch {
	case s == nil || s.c == nil:
		return "", false, errors.New("redis: redeem: Store has no client (use NewStore)")
	case token == "":
		return "", false, nil // never recorded
	}
	cctx, cancel := withTimeout(ctx, s.timeout)
	defer cancel()
	v, err := s.c.Do(cctx, s.c.B().Getdel().Key(s.key(token)).Build()).ToString()
	switch {
	case err == nil:
		return sse.Outcome(v), true, nil
	case rueidis.IsRedisNil(err):
		return "", false, nil
	}
	return "", false, failure(ctx, "redeem", err)
}
