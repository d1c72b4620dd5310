package redis_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/testsupport"
	"github.com/polysse/sse/redis"
	"github.com/polysse/sse/redis/redistest"
	"github.com/redis/rueidis"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Store has the method set of the core's CompletionStore, with context.Context.
var _ interface {
	Record(ctx context.Context, token string, outcome sse.Outcome, ttl time.Duration) error
	Redeem(ctx context.Context, token string) (sse.Outcome, bool, error)
} = (*redis.Store)(nil)

// newServer starts a redis-server for t and a client connected to it, both stopped when t
// ends, with a goroutine-leak check around them.
func newServer(t *testing.T, p redistest.Persistence) (*redistest.Server, rueidis.Client) {
	t.Helper()
	testsupport.CheckLeaks(t)
	srv := redistest.Start(t, redistest.Options{Persistence: p})
	return srv, dial(t, srv)
}

func dial(t *testing.T, srv *redistest.Server) rueidis.Client {
	t.Helper()
	c, err := redis.Dial(srv.Addr())
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func newToken(t *testing.T) string {
	t.Helper()
	tok, err := sse.NewToken()
	require.NoError(t, err)
	return tok
}

// redisTime returns Redis's clock (TIME), the clock that enforces expiry.
func redisTime(t *testing.T, c rueidis.Client) time.Time {
	t.Helper()
	v, err := c.Do(context.Background(), c.B().Time().Build()).AsStrSlice()
	require.NoError(t, err)
	require.Len(t, v, 2)
	sec, err := strconv.ParseInt(v[0], 10, 64)
	require.NoError(t, err)
	usec, err := strconv.ParseInt(v[1], 10, 64)
	require.NoError(t, err)
	return time.Unix(sec, usec*1000)
}

func pttl(t *testing.T, c rueidis.Client, key string) time.Duration {
	t.Helper()
	ms, err := c.Do(context.Background(), c.B().Pttl().Key(key).Build()).AsInt64()
	require.NoError(t, err)
	return time.Duration(ms) * time.Millisecond
}

// redeems checks that store.Redeem(tok) succeeds with want, or finds nothing when want is "".
func redeems(t *testing.T, store *redis.Store, tok string, want sse.Outcome) {
	t.Helper()
	got, ok, err := store.Redeem(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, want != "", ok, "found")
	assert.Equal(t, want, got)
}

func TestStoreRecordRedeem(t *testing.T) {
	_, c := newServer(t, redistest.NoPersistence)
	store := redis.NewStore(c, redis.StoreOptions{})
	ctx := context.Background()
	for _, outcome := range []sse.Outcome{sse.OutcomeComplete, sse.OutcomeFatal} {
		t.Run(string(outcome), func(t *testing.T) {
			tok := newToken(t)
			require.NoError(t, store.Record(ctx, tok, outcome, time.Minute))

			key := redis.DefaultPrefix + ":tok:" + tok
			v, err := c.Do(ctx, c.B().Get().Key(key).Build()).ToString()
			require.NoError(t, err, "the token is kept under <prefix>:tok:<token>")
			assert.Equal(t, string(outcome), v)
			if d := pttl(t, c, key); d <= 0 || d > time.Minute {
				t.Errorf("PTTL = %v, want in (0, 1m]", d)
			}

			redeems(t, store, tok, outcome)
			redeems(t, store, tok, "") // a token is redeemed once
		})
	}
}

func TestStoreRedeemUnknown(t *testing.T) {
	_, c := newServer(t, redistest.NoPersistence)
	store := redis.NewStore(c, redis.StoreOptions{})
	for _, tok := range []string{newToken(t), "", "not-a-token"} {
		redeems(t, store, tok, "")
	}
}

func TestStoreTTL(t *testing.T) {
	_, c := newServer(t, redistest.NoPersistence)
	store := redis.NewStore(c, redis.StoreOptions{Prefix: "ttl"})
	ctx := context.Background()
	tests := []struct {
		name     string
		ttl      time.Duration
		min, max time.Duration
	}{
		{"given", 90 * time.Second, 80 * time.Second, 90 * time.Second},
		{"zero means the default", 0, sse.DefaultTokenTTL - 10*time.Second, sse.DefaultTokenTTL},
		{"negative means the default", -time.Second, sse.DefaultTokenTTL - 10*time.Second, sse.DefaultTokenTTL},
		{"rounded up to a millisecond", 1500 * time.Microsecond, 0, 2 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := newToken(t)
			require.NoError(t, store.Record(ctx, tok, sse.OutcomeComplete, tt.ttl))
			d := pttl(t, c, "ttl:tok:"+tok)
			if tt.min == 0 && d == -2*time.Millisecond {
				return // a 2 ms token may have expired already
			}
			if d < tt.min || d > tt.max {
				t.Errorf("PTTL = %v, want in [%v, %v]", d, tt.min, tt.max)
			}
		})
	}
}

func TestStoreExpiredTokenIsNotRedeemed(t *testing.T) {
	_, c := newServer(t, redistest.NoPersistence)
	store := redis.NewStore(c, redis.StoreOptions{})
	ctx := context.Background()
	tok := newToken(t)
	require.NoError(t, store.Record(ctx, tok, sse.OutcomeComplete, 5*time.Millisecond))
	// Redis executed the SET before it answers TIME here. Wait on Redis's own clock (not on
	// the key: looking at it would expire it) until the token's 5 ms are over, with a
	// margin for Redis's cached clock.
	recorded := redisTime(t, c)
	for redisTime(t, c).Sub(recorded) < 20*time.Millisecond {
	}
	redeems(t, store, tok, "") // expired
}

func TestStoreCollision(t *testing.T) {
	_, c := newServer(t, redistest.NoPersistence)
	store := redis.NewStore(c, redis.StoreOptions{})
	ctx := context.Background()
	tok := newToken(t)
	require.NoError(t, store.Record(ctx, tok, sse.OutcomeComplete, time.Minute))
	err := store.Record(ctx, tok, sse.OutcomeFatal, time.Minute)
	require.ErrorIs(t, err, redis.ErrTokenExists)
	assert.NotErrorIs(t, err, redis.ErrUnavailable)

	redeems(t, store, tok, sse.OutcomeComplete) // a collision leaves the first record as it was

	require.NoError(t, store.Record(ctx, tok, sse.OutcomeFatal, time.Minute), "a redeemed token may be recorded again")
}

func TestStorePrefixesAreSeparate(t *testing.T) {
	_, c := newServer(t, redistest.NoPersistence)
	a := redis.NewStore(c, redis.StoreOptions{Prefix: "a"})
	b := redis.NewStore(c, redis.StoreOptions{Prefix: "b"})
	ctx := context.Background()
	tok := newToken(t)
	require.NoError(t, a.Record(ctx, tok, sse.OutcomeComplete, time.Minute))
	require.NoError(t, b.Record(ctx, tok, sse.OutcomeFatal, time.Minute), "the same token under another prefix is no collision")
	for _, tc := range []struct {
		store *redis.Store
		want  sse.Outcome
	}{{a, sse.OutcomeComplete}, {b, sse.OutcomeFatal}} {
		redeems(t, tc.store, tok, tc.want)
	}
}

// Of 64 concurrent redemptions of one token, spread over three clients (three server
// nodes), exactly one wins; 50 rounds.
func TestStoreConcurrentRedeemHasOneWinner(t *testing.T) {
	srv, c := newServer(t, redistest.NoPersistence)
	nodes := []*redis.Store{
		redis.NewStore(c, redis.StoreOptions{}),
		redis.NewStore(dial(t, srv), redis.StoreOptions{}),
		redis.NewStore(dial(t, srv), redis.StoreOptions{}),
	}
	ctx := context.Background()
	const rounds, redeemers = 50, 64
	for round := range rounds {
		tok := newToken(t)
		require.NoError(t, nodes[round%3].Record(ctx, tok, sse.OutcomeComplete, time.Minute))
		var winners, losers atomic.Int64
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, redeemers)
		for i := range redeemers {
			wg.Go(func() {
				<-start
				got, ok, err := nodes[i%3].Redeem(ctx, tok)
				switch {
				case err != nil:
					errs <- err
				case ok && got == sse.OutcomeComplete:
					winners.Add(1)
				case !ok && got == "":
					losers.Add(1)
				default:
					errs <- errors.New("redeem returned " + string(got) + " with ok=" + strconv.FormatBool(ok))
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: %v", round, err)
		}
		if winners.Load() != 1 || losers.Load() != redeemers-1 {
			t.Fatalf("round %d: %d winners and %d losers of %d redemptions, want exactly 1 winner",
				round, winners.Load(), losers.Load(), redeemers)
		}
	}
}

// Many goroutines record and redeem their own tokens on one Store at once (run with -race).
func TestStoreConcurrentUse(t *testing.T) {
	_, c := newServer(t, redistest.NoPersistence)
	store := redis.NewStore(c, redis.StoreOptions{})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for g := range 32 {
		wg.Go(func() {
			outcome := []sse.Outcome{sse.OutcomeComplete, sse.OutcomeFatal}[g%2]
			for range 50 {
				tok, err := sse.NewToken()
				if err == nil {
					err = store.Record(ctx, tok, outcome, time.Minute)
				}
				if err != nil {
					errs <- err
					return
				}
				got, ok, err := store.Redeem(ctx, tok)
				if err != nil || !ok || got != outcome {
					errs <- errors.New("redeem: got " + string(got) + ", " + strconv.FormatBool(ok))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestStoreBadInput(t *testing.T) {
	_, c := newServer(t, redistest.NoPersistence)
	store := redis.NewStore(c, redis.StoreOptions{})
	ctx := context.Background()
	tests := []struct {
		name string
		err  error
	}{
		{"empty token", store.Record(ctx, "", sse.OutcomeComplete, time.Minute)},
		{"empty outcome", store.Record(ctx, newToken(t), "", time.Minute)},
		{"zero Store record", (&redis.Store{}).Record(ctx, newToken(t), sse.OutcomeComplete, time.Minute)},
		{"nil Store record", (*redis.Store)(nil).Record(ctx, newToken(t), sse.OutcomeComplete, time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Error(t, tt.err)
			assert.Contains(t, tt.err.Error(), "redis: record: ")
			assert.NotErrorIs(t, tt.err, redis.ErrUnavailable)
		})
	}
	_, ok, err := (&redis.Store{}).Redeem(ctx, newToken(t))
	require.Error(t, err, "a Store without a client")
	assert.False(t, ok)
}

// A key of another type under the token's name is an error of its own, not "unavailable".
func TestStoreWrongType(t *testing.T) {
	_, c := newServer(t, redistest.NoPersistence)
	store := redis.NewStore(c, redis.StoreOptions{})
	ctx := context.Background()
	tok := newToken(t)
	require.NoError(t, c.Do(ctx, c.B().Rpush().Key(redis.DefaultPrefix+":tok:"+tok).Element("x").Build()).Error())
	_, ok, err := store.Redeem(ctx, tok)
	require.Error(t, err)
	assert.False(t, ok)
	assert.Contains(t, err.Error(), "WRONGTYPE")
	assert.NotErrorIs(t, err, redis.ErrUnavailable)
}

// Redis full (maxmemory reached, noeviction): Record fails with ErrUnavailable; Redeem,
// which frees memory, still works.
func TestStoreRedisFull(t *testing.T) {
	_, c := newServer(t, redistest.NoPersistence)
	store := redis.NewStore(c, redis.StoreOptions{})
	ctx := context.Background()
	tok := newToken(t)
	require.NoError(t, store.Record(ctx, tok, sse.OutcomeComplete, time.Minute))
	require.NoError(t, c.Do(ctx, c.B().ConfigSet().ParameterValue().ParameterValue("maxmemory-policy", "noeviction").ParameterValue("maxmemory", "1").Build()).Error())
	err := store.Record(ctx, newToken(t), sse.OutcomeComplete, time.Minute)
	require.ErrorIs(t, err, redis.ErrUnavailable)
	assert.Contains(t, err.Error(), "OOM")
	redeems(t, store, tok, sse.OutcomeComplete)
}

// within runs f and fails t if it has not returned after limit: it catches a hang, it does
// not measure speed (the limit is far above the timeouts involved).
func within(t *testing.T, limit time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		t.Fatalf("still running after %v", limit)
	}
}

// Redis killed: Record and Redeem fail at once with ErrUnavailable; after a restart (AOF)
// the same client works again and the token recorded before the kill is still there.
func TestStoreRedisKilledAndRestarted(t *testing.T) {
	srv, c := newServer(t, redistest.AOFAlways)
	store := redis.NewStore(c, redis.StoreOptions{})
	ctx := context.Background()
	tok := newToken(t)
	require.NoError(t, store.Record(ctx, tok, sse.OutcomeFatal, time.Minute))
	require.NoError(t, srv.Kill())

	within(t, 10*time.Second, func() {
		err := store.Record(ctx, newToken(t), sse.OutcomeComplete, time.Minute)
		assert.ErrorIs(t, err, redis.ErrUnavailable)
		assert.ErrorContains(t, err, "redis: unavailable: record: ")
		got, ok, err := store.Redeem(ctx, tok)
		assert.ErrorIs(t, err, redis.ErrUnavailable)
		assert.ErrorContains(t, err, "redis: unavailable: redeem: ")
		assert.False(t, ok)
		assert.Equal(t, sse.Outcome(""), got)
	})

	require.NoError(t, srv.Restart())
	// The client reconnects by itself; the first calls may still see the old connection's
	// error, so ask until one answers (bounded).
	var (
		got sse.Outcome
		ok  bool
		err error
	)
	for range 100 {
		if got, ok, err = store.Redeem(ctx, tok); !errors.Is(err, redis.ErrUnavailable) {
			break
		}
	}
	require.NoError(t, err)
	assert.True(t, ok, "the token recorded before the kill survives it with AOF")
	assert.Equal(t, sse.OutcomeFatal, got)
}

// Redis hanging (SIGSTOP): calls fail with ErrUnavailable after the Store's Timeout, and
// work again once Redis answers.
func TestStoreRedisHangs(t *testing.T) {
	srv, c := newServer(t, redistest.NoPersistence)
	store := redis.NewStore(c, redis.StoreOptions{Timeout: 100 * time.Millisecond})
	ctx := context.Background()
	tok := newToken(t)
	require.NoError(t, store.Record(ctx, tok, sse.OutcomeComplete, time.Minute))
	require.NoError(t, srv.Freeze())
	thawed := false
	defer func() {
		if !thawed {
			srv.Thaw()
		}
	}()
	within(t, 10*time.Second, func() {
		_, ok, err := store.Redeem(ctx, tok)
		assert.ErrorIs(t, err, redis.ErrUnavailable)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.False(t, ok)
		err = store.Record(ctx, newToken(t), sse.OutcomeComplete, time.Minute)
		assert.ErrorIs(t, err, redis.ErrUnavailable)
	})
	require.NoError(t, srv.Thaw())
	thawed = true

	// The same client works again (with the default timeout: a busy test machine may take
	// more than 100 ms to schedule the thawed server).
	store = redis.NewStore(c, redis.StoreOptions{})
	within(t, 10*time.Second, func() {
		tok2 := newToken(t)
		require.NoError(t, store.Record(ctx, tok2, sse.OutcomeFatal, time.Minute))
		redeems(t, store, tok2, sse.OutcomeFatal)
	})
}

// A caller that gives up gets its own context error, not ErrUnavailable.
func TestStoreCallerGivesUp(t *testing.T) {
	srv, c := newServer(t, redistest.NoPersistence)
	store := redis.NewStore(c, redis.StoreOptions{Timeout: -1}) // only the caller's context
	require.NoError(t, srv.Freeze())
	defer srv.Thaw()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	tests := []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"cancelled before", cancelled, context.Canceled},
		{"deadline while Redis hangs", expired, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			within(t, 10*time.Second, func() {
				_, _, err := store.Redeem(tt.ctx, newToken(t))
				assert.ErrorIs(t, err, tt.want)
				assert.NotErrorIs(t, err, redis.ErrUnavailable)
				assert.ErrorContains(t, err, "redis: redeem: ")
				err = store.Record(tt.ctx, newToken(t), sse.OutcomeComplete, time.Minute)
				assert.ErrorIs(t, err, tt.want)
				assert.NotErrorIs(t, err, redis.ErrUnavailable)
			})
		})
	}
}
