package redis_test

import (
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/brokertest"
	"github.com/polysse/sse/internal/testsupport"
	"github.com/polysse/sse/redis"
	"github.com/polysse/sse/redis/redistest"
	"github.com/polysse/sse/server"
	"github.com/redis/rueidis"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newBroker returns a Broker on a log of its own, closed when the test ends.
func newBroker(t *testing.T, c rueidis.Client, o redis.BrokerOptions) *redis.Broker {
	t.Helper()
	if o.Name == "" {
		o.Name = newLogName(t)
	}
	if o.Logger == nil {
		o.Logger = quietLogger()
	}
	b := redis.NewBroker(c, o)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func publishN(t *testing.T, b *redis.Broker, n int, topics ...string) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		id, err := b.Publish(t.Context(), topics, sse.Event{Data: strconv.Itoa(i)})
		require.NoError(t, err)
		ids[i] = id
	}
	return ids
}

func data(evs []sse.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Data
	}
	return out
}

// endedSubscriber records End.
type endedSubscriber struct {
	brokertest.Subscriber
	mu    sync.Mutex
	ended []error
}

func (s *endedSubscriber) End(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = append(s.ended, err)
}

func (s *endedSubscriber) endErrs() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.ended...)
}

func TestBrokerPublishRefusesAnID(t *testing.T) {
	testsupport.CheckLeaks(t)
	_, c := newServer(t, redistest.NoPersistence)
	b := newBroker(t, c, redis.BrokerOptions{})
	_, err := b.Publish(t.Context(), []string{"a"}, sse.Event{ID: "mine", Data: "x"})
	require.ErrorIs(t, err, redis.ErrEventID)
	_, err = b.Publish(t.Context(), []string{"a"}, sse.Event{Type: "bad\ntype"})
	require.ErrorIs(t, err, sse.ErrInvalidEvent)
}

func TestBrokerIdempotencyKey(t *testing.T) {
	testsupport.CheckLeaks(t)
	_, c := newServer(t, redistest.NoPersistence)
	a := newBroker(t, c, redis.BrokerOptions{Name: "idem"})
	b := newBroker(t, c, redis.BrokerOptions{Name: "idem"})
	s := new(brokertest.Subscriber)
	sub, _, err := b.Subscribe(t.Context(), s, []string{"t"}, "")
	require.NoError(t, err)
	defer sub.Unsubscribe()
	ctx := redis.WithIdempotencyKey(t.Context(), "order-42")
	id1, err := a.Publish(ctx, []string{"t"}, sse.Event{Data: "first"})
	require.NoError(t, err)
	id2, err := b.Publish(ctx, []string{"t"}, sse.Event{Data: "retry"}) // a retry, on another node
	require.NoError(t, err)
	assert.Equal(t, id1, id2, "the retry returns the first publish's id")
	_, err = a.Publish(redis.WithIdempotencyKey(t.Context(), ""), []string{"t"}, sse.Event{Data: "no key"})
	require.NoError(t, err)
	assert.Equal(t, []string{"first", "no key"}, data(s.WaitFor(t, 2)), "the retry appended nothing")
}

func TestBrokerTopicsWithAnyBytes(t *testing.T) {
	testsupport.CheckLeaks(t)
	_, c := newServer(t, redistest.NoPersistence)
	b := newBroker(t, c, redis.BrokerOptions{CacheSize: -1})
	topics := []string{"a:b", "12:x", "", "x\x1fy", "ünï"}
	s := new(brokertest.Subscriber)
	sub, _, err := b.Subscribe(t.Context(), s, topics[2:3], "")
	require.NoError(t, err)
	defer sub.Unsubscribe()
	ids := publishN(t, b, 1, topics...)
	publishN(t, b, 1, "12")
	for _, topic := range topics {
		sub, res, err := b.Subscribe(t.Context(), new(brokertest.Subscriber), []string{topic}, ids[0])
		require.NoError(t, err)
		sub.Unsubscribe()
		require.Equal(t, server.ResumeComplete, res.Status)
	}
	assert.Equal(t, []string{"0"}, data(s.WaitFor(t, 1)))
}

// A resume further behind than MaxReplay gets MaxReplay events, then its session ends, and
// the next resume goes on from there; from Redis and from the cache alike.
func TestBrokerReplayLimit(t *testing.T) {
	testsupport.CheckLeaks(t)
	_, c := newServer(t, redistest.NoPersistence)
	for _, cache := range []int{-1, 0} {
		t.Run("cache "+strconv.Itoa(cache), func(t *testing.T) {
			b := newBroker(t, c, redis.BrokerOptions{MaxReplay: 10, CacheSize: cache})
			ids := publishN(t, b, 25, "t")
			from := ids[0]
			var got []string
			for range 3 {
				s := new(endedSubscriber)
				sub, res, err := b.Subscribe(t.Context(), s, []string{"t"}, from)
				require.NoError(t, err)
				sub.Unsubscribe()
				require.Equal(t, server.ResumeComplete, res.Status)
				evs := brokertest.Decode(t, res.Frames)
				got = append(got, data(evs)...)
				if len(evs) == 10 {
					require.Len(t, s.endErrs(), 1, "the session ends after a cut replay")
					require.ErrorIs(t, s.endErrs()[0], redis.ErrReplayLimit)
				} else {
					require.Empty(t, s.endErrs())
				}
				if len(evs) > 0 {
					from = evs[len(evs)-1].ID
				}
			}
			want := make([]string, 24)
			for i := range want {
				want[i] = strconv.Itoa(i + 1)
			}
			assert.Equal(t, want, got)
		})
	}
}

func TestBrokerUnknownIDs(t *testing.T) {
	testsupport.CheckLeaks(t)
	_, c := newServer(t, redistest.NoPersistence)
	b := newBroker(t, c, redis.BrokerOptions{CacheSize: -1})
	ids := publishN(t, b, 3, "t")
	tag := b.Tag()
	for _, id := range []string{
		tag + "99999999999999-0", // in the future: never issued
		tag + "0-0", tag + "1-01", tag + "-1-2", tag + "x", tag,
		"other:" + strings.TrimPrefix(ids[0], tag),
		strings.TrimPrefix(ids[0], tag),
	} {
		sub, res, err := b.Subscribe(t.Context(), new(brokertest.Subscriber), []string{"t"}, id)
		require.NoError(t, err, id)
		sub.Unsubscribe()
		assert.Equal(t, server.ResumeUnknown, res.Status, "%q", id)
		assert.Empty(t, res.Frames)
	}
	// An id this log could have issued but no longer holds (older than the log): a gap.
	sub, res, err := b.Subscribe(t.Context(), new(brokertest.Subscriber), []string{"t"}, tag+"1-0")
	require.NoError(t, err)
	sub.Unsubscribe()
	assert.Equal(t, server.ResumeGap, res.Status)
	// An id after the log's newest entry but not after Redis's clock: the log lost it (a
	// failover to a replica that had not received it; TestClusterFailover): a gap too.
	ms, seq, _ := strings.Cut(strings.TrimPrefix(ids[2], tag), "-")
	n, err := strconv.Atoi(seq)
	require.NoError(t, err)
	sub, res, err = b.Subscribe(t.Context(), new(brokertest.Subscriber), []string{"t"}, tag+ms+"-"+strconv.Itoa(n+1))
	require.NoError(t, err)
	sub.Unsubscribe()
	assert.Equal(t, server.ResumeGap, res.Status, "an id after the newest entry")
}

func TestBrokerReadyAndClose(t *testing.T) {
	testsupport.CheckLeaks(t)
	srv, c := newServer(t, redistest.NoPersistence)
	b := newBroker(t, c, redis.BrokerOptions{Timeout: 200 * time.Millisecond})
	require.Eventually(t, func() bool { return b.Ready(t.Context()) == nil }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, srv.Kill())
	require.Eventually(t, func() bool {
		err := b.Ready(t.Context())
		return errors.Is(err, server.ErrBrokerUnavailable) && errors.Is(err, redis.ErrUnavailable)
	}, 5*time.Second, 5*time.Millisecond)
	_, _, err := b.Subscribe(t.Context(), new(brokertest.Subscriber), []string{"t"}, b.Tag()+"5-0")
	require.ErrorIs(t, err, server.ErrBrokerUnavailable, "a resume needs Redis")
	sub, res, err := b.Subscribe(t.Context(), new(brokertest.Subscriber), []string{"t"}, "")
	require.NoError(t, err, "a new stream does not")
	sub.Unsubscribe()
	assert.Equal(t, server.ResumeNone, res.Status)
	require.NoError(t, srv.Restart())
	require.Eventually(t, func() bool { return b.Ready(t.Context()) == nil }, 5*time.Second, 5*time.Millisecond)

	// Close returns at once although the reader waits in XREAD BLOCK (5 s by default).
	start := time.Now()
	require.NoError(t, b.Close())
	require.NoError(t, b.Close())
	assert.Less(t, time.Since(start), 2*time.Second)
	require.ErrorIs(t, b.Ready(t.Context()), server.ErrServerClosed)
}

// An entry written to the log by something else breaks the chain: the node's sessions end
// (nothing is delivered from it), and later events flow again.
func TestBrokerForeignEntry(t *testing.T) {
	testsupport.CheckLeaks(t)
	_, c := newServer(t, redistest.NoPersistence)
	name := newLogName(t)
	b := newBroker(t, c, redis.BrokerOptions{Name: name, Logger: slog.New(slog.DiscardHandler)})
	s := new(endedSubscriber)
	sub, _, err := b.Subscribe(t.Context(), s, []string{"t"}, "")
	require.NoError(t, err)
	defer sub.Unsubscribe()
	publishN(t, b, 1, "t")
	s.WaitFor(t, 1)
	require.NoError(t, c.Do(t.Context(), c.B().Xadd().Key("polysse:{"+name+"}:log").Id("*").FieldValue().FieldValue("hello", "world").Build()).Error())
	require.Eventually(t, func() bool { return len(s.endErrs()) == 1 }, 5*time.Second, 5*time.Millisecond)
	require.ErrorIs(t, s.endErrs()[0], redis.ErrContinuity)
	assert.Equal(t, uint64(1), b.Stats().Breaks)
}

// MaxAge drops entries older than it (in whole stream nodes: XTRIM MINID ~), and a resume
// from a dropped one is a gap.
func TestBrokerMaxAge(t *testing.T) {
	testsupport.CheckLeaks(t)
	_, c := newServer(t, redistest.NoPersistence)
	name := newLogName(t)
	b := newBroker(t, c, redis.BrokerOptions{Name: name, MaxAge: 50 * time.Millisecond, CacheSize: -1})
	ids := publishN(t, b, 250, "t")
	time.Sleep(100 * time.Millisecond) // the entries' ids hold Redis's clock: let them age
	publishN(t, b, 1, "t")
	n, err := c.Do(t.Context(), c.B().Xlen().Key("polysse:{"+name+"}:log").Build()).AsInt64()
	require.NoError(t, err)
	assert.Less(t, n, int64(100), "entries older than MaxAge are trimmed")
	sub, res, err := b.Subscribe(t.Context(), new(brokertest.Subscriber), []string{"t"}, ids[0])
	require.NoError(t, err)
	sub.Unsubscribe()
	assert.Equal(t, server.ResumeGap, res.Status)
}

// A subscriber without a Last-Event-ID gets its start position with its Resume: the entry
// of the log where it joined (one of another topic, here), from which a resume, on this
// node (from its cache) or another (from Redis), replays exactly what it was delivered.
func TestBrokerStartPosition(t *testing.T) {
	testsupport.CheckLeaks(t)
	_, c := newServer(t, redistest.NoPersistence)
	name := newLogName(t)
	b := newBroker(t, c, redis.BrokerOptions{Name: name})
	other := newBroker(t, c, redis.BrokerOptions{Name: name, CacheSize: -1})
	start := publishN(t, b, 1, "other")[0]
	s := new(brokertest.Subscriber)
	sub, res, err := b.Subscribe(t.Context(), s, []string{"t"}, "")
	require.NoError(t, err)
	defer sub.Unsubscribe()
	require.Equal(t, server.ResumeNone, res.Status)
	assert.Equal(t, start, res.Start, "the newest entry the node published when the subscriber joined")
	publishN(t, b, 3, "t")
	live := s.WaitFor(t, 3)
	for i, node := range []*redis.Broker{b, other} {
		sub, res, err := node.Subscribe(t.Context(), new(brokertest.Subscriber), []string{"t"}, start)
		require.NoError(t, err)
		sub.Unsubscribe()
		require.Equal(t, server.ResumeComplete, res.Status, "node %d", i)
		assert.Equal(t, live, brokertest.Decode(t, res.Frames), "node %d", i)
		assert.Empty(t, res.Start, "a resume has no start position")
	}
	assert.Equal(t, redis.BrokerStats{ResumesCached: 1}, pick(b.Stats()))
	assert.Equal(t, redis.BrokerStats{ResumesRedis: 1}, pick(other.Stats()))
	// An unknown id is the client's to keep: no start position.
	sub, res, err = b.Subscribe(t.Context(), new(brokertest.Subscriber), []string{"t"}, "elsewhere")
	require.NoError(t, err)
	sub.Unsubscribe()
	assert.Equal(t, server.ResumeUnknown, res.Status)
	assert.Empty(t, res.Start)
}

// pick keeps the resume counters of st.
func pick(st redis.BrokerStats) redis.BrokerStats {
	return redis.BrokerStats{ResumesCached: st.ResumesCached, ResumesRedis: st.ResumesRedis}
}

// A subscriber that joined while the node's reader had no position yet (Redis was down
// since the node started) is delivered one, as an event with only an id, as soon as the
// reader has it, before any event: its resume from there is exact.
func TestBrokerStartPositionBeforeTheReader(t *testing.T) {
	testsupport.CheckLeaks(t)
	srv, c := newServer(t, redistest.NoPersistence)
	require.NoError(t, srv.Kill())
	b := newBroker(t, c, redis.BrokerOptions{Timeout: 100 * time.Millisecond})
	s := new(brokertest.Subscriber)
	sub, res, err := b.Subscribe(t.Context(), s, []string{"t"}, "")
	require.NoError(t, err, "a new stream needs no Redis")
	defer sub.Unsubscribe()
	assert.Equal(t, server.Resume{}, res, "no position yet")
	require.NoError(t, srv.Restart())
	first := s.WaitForFrames(t, 1)[0]
	start, ok := strings.CutPrefix(string(first), "id: ")
	require.True(t, ok, "frame %q", first)
	start, ok = strings.CutSuffix(start, "\n\n")
	require.True(t, ok && strings.HasPrefix(start, b.Tag()), "frame %q: an event with only an id of the log", first)
	var p sse.Parser
	p.Feed(first)
	_, dispatched := p.Next()
	require.False(t, dispatched, "clients dispatch nothing for it")
	require.Equal(t, start, p.LastEventID(), "clients keep its id")

	publishN(t, b, 2, "t")
	frames := s.WaitForFrames(t, 3)
	live := brokertest.Decode(t, frames[1:])
	assert.Equal(t, []string{"0", "1"}, data(live))
	sub2, res2, err := b.Subscribe(t.Context(), new(brokertest.Subscriber), []string{"t"}, start)
	require.NoError(t, err)
	sub2.Unsubscribe()
	require.Equal(t, server.ResumeComplete, res2.Status)
	assert.Equal(t, live, brokertest.Decode(t, res2.Frames))
}
