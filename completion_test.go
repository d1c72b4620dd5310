package sse_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse"
)

var _ sse.CompletionStore = (*sse.MemoryStore)(nil)

var tokenPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestNewToken(t *testing.T) {
	t.Run("canonical UUIDv4 form: 36 chars, lowercase hex, version 4, RFC 9562 variant", func(t *testing.T) {
		for range 1000 {
			tok, err := sse.NewToken()
			require.NoError(t, err)
			require.Len(t, tok, 36)
			require.Regexp(t, tokenPattern, tok)
			raw, err := hex.DecodeString(strings.ReplaceAll(tok, "-", ""))
			require.NoError(t, err)
			require.Len(t, raw, 16)
			assert.Equal(t, byte(0x40), raw[6]&0xF0, "version nibble")
			assert.Equal(t, byte(0x80), raw[8]&0xC0, "variant bits 10")
		}
	})
	t.Run("unique across 10k tokens", func(t *testing.T) {
		seen := make(map[string]bool, 10000)
		for range 10000 {
			tok, err := sse.NewToken()
			require.NoError(t, err)
			require.False(t, seen[tok], "duplicate token %s", tok)
			seen[tok] = true
		}
	})
	t.Run("random bits vary in every position", func(t *testing.T) {
		// Every hex digit except the fixed version digit and the separators takes more than
		// one value over many tokens; the variant digit takes 8, 9, a or b.
		varies := make([]map[byte]bool, 36)
		for i := range varies {
			varies[i] = map[byte]bool{}
		}
		for range 2000 {
			tok, err := sse.NewToken()
			require.NoError(t, err)
			for i := range len(tok) {
				varies[i][tok[i]] = true
			}
		}
		for i, vals := range varies {
			switch i {
			case 8, 13, 18, 23:
				assert.Equal(t, map[byte]bool{'-': true}, vals, "position %d", i)
			case 14:
				assert.Equal(t, map[byte]bool{'4': true}, vals, "version position")
			case 19:
				assert.Equal(t, map[byte]bool{'8': true, '9': true, 'a': true, 'b': true}, vals, "variant position")
			default:
				assert.Len(t, vals, 16, "position %d takes all 16 hex digits", i)
			}
		}
	})
}

func TestMemoryStore(t *testing.T) {
	ctx := context.Background()
	t.Run("record then redeem once", func(t *testing.T) {
		var s sse.MemoryStore
		require.NoError(t, s.Record(ctx, "tok", sse.OutcomeComplete, time.Minute))
		assert.Equal(t, 1, s.Len())
		out, ok, err := s.Redeem(ctx, "tok")
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, sse.OutcomeComplete, out)
		assert.Equal(t, 0, s.Len())

		out, ok, err = s.Redeem(ctx, "tok")
		require.NoError(t, err)
		assert.False(t, ok, "a token is single use")
		assert.Equal(t, sse.Outcome(""), out)
	})
	t.Run("the recorded outcome is returned", func(t *testing.T) {
		var s sse.MemoryStore
		require.NoError(t, s.Record(ctx, "a", sse.OutcomeComplete, 0))
		require.NoError(t, s.Record(ctx, "b", sse.OutcomeFatal, 0))
		out, ok, _ := s.Redeem(ctx, "b")
		assert.True(t, ok)
		assert.Equal(t, sse.OutcomeFatal, out)
		out, ok, _ = s.Redeem(ctx, "a")
		assert.True(t, ok)
		assert.Equal(t, sse.OutcomeComplete, out)
	})
	t.Run("an unknown token is not found, without error", func(t *testing.T) {
		var s sse.MemoryStore
		out, ok, err := s.Redeem(ctx, "nope")
		require.NoError(t, err)
		assert.False(t, ok)
		assert.Empty(t, out)
		assert.Equal(t, 0, s.Len())
	})
	t.Run("the zero value is ready to use", func(t *testing.T) {
		var s sse.MemoryStore
		assert.Equal(t, 0, s.Len())
		_, ok, err := s.Redeem(ctx, "x")
		require.NoError(t, err)
		assert.False(t, ok)
	})
	t.Run("the vocabulary has the wire protocol's values", func(t *testing.T) {
		assert.Equal(t, sse.Outcome("complete"), sse.OutcomeComplete)
		assert.Equal(t, sse.Outcome("fatal"), sse.OutcomeFatal)
		assert.Equal(t, "complete", sse.EventComplete)
		assert.Equal(t, "fatal", sse.EventFatal)
		assert.Equal(t, "SSE-Outcome", sse.HeaderOutcome)
		assert.Equal(t, "SSE-Heartbeat-Interval", sse.HeaderHeartbeatInterval)
		assert.Equal(t, "SSE-Replay", sse.HeaderReplay)
		assert.Equal(t, []string{"complete", "gap", "unknown"}, []string{sse.ReplayComplete, sse.ReplayGap, sse.ReplayUnknown})
		assert.Equal(t, "Last-Event-ID", sse.HeaderLastEventID)
		assert.Equal(t, 5*time.Minute, sse.DefaultTokenTTL)
		assert.Equal(t, 3*time.Second, sse.DefaultReconnectionTime)
	})
	t.Run("concurrent Redeem of one token: exactly one wins", func(t *testing.T) {
		for round := range 20 {
			var s sse.MemoryStore
			tok := fmt.Sprintf("tok-%d", round)
			require.NoError(t, s.Record(ctx, tok, sse.OutcomeFatal, time.Minute))
			var (
				wins  atomic.Int32
				start = make(chan struct{})
				wg    sync.WaitGroup
			)
			for range 50 {
				wg.Go(func() {
					<-start
					out, ok, err := s.Redeem(ctx, tok)
					if err != nil {
						t.Error(err)
					}
					if ok {
						wins.Add(1)
						if out != sse.OutcomeFatal {
							t.Errorf("outcome %q", out)
						}
					}
				})
			}
			close(start)
			wg.Wait()
			require.Equal(t, int32(1), wins.Load(), "round %d", round)
			assert.Equal(t, 0, s.Len())
		}
	})
	t.Run("concurrent Record and Redeem of many tokens", func(t *testing.T) {
		s := sse.MemoryStore{Max: 1000}
		var wg sync.WaitGroup
		var redeemed atomic.Int32
		for g := range 8 {
			wg.Go(func() {
				for i := range 200 {
					tok := fmt.Sprintf("%d-%d", g, i)
					if err := s.Record(ctx, tok, sse.OutcomeComplete, time.Minute); err != nil {
						t.Error(err)
					}
					if _, ok, _ := s.Redeem(ctx, tok); ok {
						redeemed.Add(1)
					}
					_ = s.Len()
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int32(1600), redeemed.Load())
		assert.Equal(t, 0, s.Len())
	})
}

func TestMemoryStoreExpiry(t *testing.T) {
	ctx := context.Background()
	t.Run("a token is redeemable until its TTL, not at it", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var s sse.MemoryStore
			require.NoError(t, s.Record(ctx, "early", sse.OutcomeComplete, time.Second))
			require.NoError(t, s.Record(ctx, "late", sse.OutcomeComplete, time.Second))
			time.Sleep(time.Second - time.Nanosecond)
			_, ok, err := s.Redeem(ctx, "early")
			require.NoError(t, err)
			assert.True(t, ok, "just before the TTL")
			time.Sleep(time.Nanosecond)
			_, ok, err = s.Redeem(ctx, "late")
			require.NoError(t, err)
			assert.False(t, ok, "at the TTL the token has expired")
		})
	})
	t.Run("an expired token is never redeemed and is dropped on Redeem", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var s sse.MemoryStore
			require.NoError(t, s.Record(ctx, "tok", sse.OutcomeFatal, time.Minute))
			time.Sleep(2 * time.Minute)
			assert.Equal(t, 1, s.Len(), "Len counts expired tokens not yet dropped")
			out, ok, err := s.Redeem(ctx, "tok")
			require.NoError(t, err)
			assert.False(t, ok)
			assert.Empty(t, out)
			assert.Equal(t, 0, s.Len())
		})
	})
	for _, ttl := range []time.Duration{0, -1, -time.Hour} {
		t.Run(fmt.Sprintf("ttl %v means the default TTL", ttl), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var s sse.MemoryStore
				require.NoError(t, s.Record(ctx, "a", sse.OutcomeComplete, ttl))
				require.NoError(t, s.Record(ctx, "b", sse.OutcomeComplete, ttl))
				time.Sleep(sse.DefaultTokenTTL - time.Nanosecond)
				_, ok, _ := s.Redeem(ctx, "a")
				assert.True(t, ok, "valid just before DefaultTokenTTL")
				time.Sleep(time.Nanosecond)
				_, ok, _ = s.Redeem(ctx, "b")
				assert.False(t, ok, "expired at DefaultTokenTTL")
			})
		})
	}
	t.Run("recording drops expired tokens first", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := sse.MemoryStore{Max: 3}
			require.NoError(t, s.Record(ctx, "a", sse.OutcomeComplete, time.Second))
			require.NoError(t, s.Record(ctx, "b", sse.OutcomeComplete, time.Second))
			require.NoError(t, s.Record(ctx, "c", sse.OutcomeComplete, time.Hour))
			time.Sleep(2 * time.Second)
			require.NoError(t, s.Record(ctx, "d", sse.OutcomeComplete, time.Hour))
			assert.Equal(t, 2, s.Len(), "both expired tokens are dropped, not only one")
			_, ok, _ := s.Redeem(ctx, "c")
			assert.True(t, ok)
			_, ok, _ = s.Redeem(ctx, "d")
			assert.True(t, ok)
		})
	})
	t.Run("re-recording a token updates its outcome and expiry", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var s sse.MemoryStore
			require.NoError(t, s.Record(ctx, "tok", sse.OutcomeComplete, time.Second))
			require.NoError(t, s.Record(ctx, "tok", sse.OutcomeFatal, time.Hour))
			assert.Equal(t, 1, s.Len())
			time.Sleep(time.Minute)
			out, ok, _ := s.Redeem(ctx, "tok")
			assert.True(t, ok, "the new TTL applies")
			assert.Equal(t, sse.OutcomeFatal, out, "the new outcome applies")
		})
	})
	t.Run("re-recording can shorten the expiry", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var s sse.MemoryStore
			require.NoError(t, s.Record(ctx, "tok", sse.OutcomeComplete, time.Hour))
			require.NoError(t, s.Record(ctx, "tok", sse.OutcomeComplete, time.Second))
			time.Sleep(time.Minute)
			_, ok, _ := s.Redeem(ctx, "tok")
			assert.False(t, ok)
		})
	})
}

func TestMemoryStoreBound(t *testing.T) {
	ctx := context.Background()
	t.Run("recording beyond Max evicts the token closest to expiry", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := sse.MemoryStore{Max: 3}
			require.NoError(t, s.Record(ctx, "a", sse.OutcomeComplete, 3*time.Second))
			require.NoError(t, s.Record(ctx, "b", sse.OutcomeComplete, 1*time.Second))
			require.NoError(t, s.Record(ctx, "c", sse.OutcomeComplete, 2*time.Second))
			require.NoError(t, s.Record(ctx, "d", sse.OutcomeComplete, 4*time.Second))
			assert.Equal(t, 3, s.Len())
			_, ok, _ := s.Redeem(ctx, "b")
			assert.False(t, ok, "b expires first and was evicted")
			for _, tok := range []string{"a", "c", "d"} {
				_, ok, _ := s.Redeem(ctx, tok)
				assert.True(t, ok, tok)
			}
		})
	})
	t.Run("the newest token is kept even with the shortest TTL", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := sse.MemoryStore{Max: 2}
			require.NoError(t, s.Record(ctx, "a", sse.OutcomeComplete, time.Hour))
			require.NoError(t, s.Record(ctx, "b", sse.OutcomeComplete, 2*time.Hour))
			require.NoError(t, s.Record(ctx, "c", sse.OutcomeComplete, time.Second))
			assert.Equal(t, 2, s.Len())
			_, ok, _ := s.Redeem(ctx, "a")
			assert.False(t, ok)
			_, ok, _ = s.Redeem(ctx, "c")
			assert.True(t, ok)
		})
	})
	t.Run("re-recording a token when full evicts nothing", func(t *testing.T) {
		s := sse.MemoryStore{Max: 2}
		require.NoError(t, s.Record(ctx, "a", sse.OutcomeComplete, time.Minute))
		require.NoError(t, s.Record(ctx, "b", sse.OutcomeComplete, time.Minute))
		require.NoError(t, s.Record(ctx, "a", sse.OutcomeFatal, time.Hour))
		assert.Equal(t, 2, s.Len())
		_, ok, _ := s.Redeem(ctx, "b")
		assert.True(t, ok)
	})
	t.Run("Len never exceeds Max", func(t *testing.T) {
		s := sse.MemoryStore{Max: 10}
		for i := range 100 {
			require.NoError(t, s.Record(ctx, fmt.Sprint(i), sse.OutcomeComplete, time.Duration(i+1)*time.Minute))
			require.LessOrEqual(t, s.Len(), 10)
		}
		assert.Equal(t, 10, s.Len())
		// The ten with the latest expiry remain.
		for i := 90; i < 100; i++ {
			_, ok, _ := s.Redeem(ctx, fmt.Sprint(i))
			assert.True(t, ok, "token %d", i)
		}
	})
	t.Run("Max zero means DefaultMaxTokens", func(t *testing.T) {
		if testing.Short() {
			t.Skip("records DefaultMaxTokens+1 tokens")
		}
		var s sse.MemoryStore
		for i := range sse.DefaultMaxTokens + 1 {
			require.NoError(t, s.Record(ctx, strconv.Itoa(i), sse.OutcomeComplete, time.Hour+time.Duration(i)))
		}
		assert.Equal(t, sse.DefaultMaxTokens, s.Len())
		_, ok, _ := s.Redeem(ctx, strconv.Itoa(0))
		assert.False(t, ok, "the token closest to expiry was evicted")
	})
}
