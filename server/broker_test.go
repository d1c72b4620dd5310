package server_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/brokertest"
	"github.com/polysse/sse/server"
)

func TestHubConformance(t *testing.T) {
	brokertest.Run(t, brokertest.Config{
		New:    func(*testing.T) server.Broker { return server.NewHub(16, 0, 0, true) },
		Retain: 16,
		Evict:  16,
	})
}

// hubResume publishes with ids of the caller's choosing or automatic ones, then resumes.
func hubResume(t *testing.T, b server.Broker, lastID string, topics ...string) server.Resume {
	t.Helper()
	sub, res, err := b.Subscribe(context.Background(), new(brokertest.Subscriber), topics, lastID)
	require.NoError(t, err)
	sub.Unsubscribe()
	return res
}

func hubPublish(t *testing.T, b server.Broker, id string, topics ...string) string {
	t.Helper()
	got, err := b.Publish(context.Background(), topics, sse.Event{ID: id, Data: "x"})
	require.NoError(t, err)
	return got
}

// The in-memory broker knows which topic dropped what: a resume whose own topics lost
// nothing after the id is complete, however much other topics lost.
func TestHubGapIsPerTopic(t *testing.T) {
	b := server.NewHub(4, 0, 0, true)
	id := hubPublish(t, b, "", "a")
	for range 10 {
		hubPublish(t, b, "", "b")
	}
	require.Equal(t, server.ResumeComplete, hubResume(t, b, id, "a").Status)
	require.Equal(t, server.ResumeGap, hubResume(t, b, id, "a", "b").Status)
	// An id that left topic a's buffer is complete too when nothing after it was lost.
	for range 4 {
		hubPublish(t, b, "", "a")
	}
	last := hubPublish(t, b, "", "a")
	for range 4 {
		hubPublish(t, b, "", "c")
	}
	require.Equal(t, server.ResumeComplete, hubResume(t, b, last, "a").Status)
}

// With ids of the application's own, an id still in a buffer resumes, and any other is
// unknown: the broker cannot tell one it dropped from one it never saw.
func TestHubOwnIDs(t *testing.T) {
	b := server.NewHub(5, 0, 0, false)
	for i := 1; i <= 8; i++ {
		require.Equal(t, strconv.Itoa(i), hubPublish(t, b, strconv.Itoa(i), "t"))
	}
	res := hubResume(t, b, "5", "t")
	require.Equal(t, server.ResumeComplete, res.Status)
	require.Equal(t, []string{"6", "7", "8"}, ids(t, res.Frames))
	require.Equal(t, server.ResumeUnknown, hubResume(t, b, "3", "t").Status)
	require.Equal(t, server.ResumeUnknown, hubResume(t, b, "nope", "t").Status)
	// No id without AutoID.
	require.Empty(t, hubPublish(t, b, "", "t"))
}

func ids(t *testing.T, frames [][]byte) []string {
	t.Helper()
	var out []string
	for _, ev := range brokertest.Decode(t, frames) {
		out = append(out, ev.ID)
	}
	return out
}

// A topic that was forgotten (no subscriber, too many topics) and made again cannot
// prove what it lost: a resume from before it was forgotten is a gap.
func TestHubForgottenTopicIsAGap(t *testing.T) {
	b := server.NewHub(8, 0, 4, true)
	id := hubPublish(t, b, "", "user:0")
	hubPublish(t, b, "", "user:0")
	for i := 1; i <= 10; i++ {
		hubPublish(t, b, "", "user:"+strconv.Itoa(i)) // forgets user:0 and others
	}
	require.False(t, server.HubHasTopic(b, "user:0"))
	require.Equal(t, server.ResumeGap, hubResume(t, b, id, "user:0").Status)
}

// The publish that makes a topic which takes the hub over MaxReplayTopics keeps its event:
// the idle topics dropped to make room are older ones, never the one being published to.
func TestHubNewTopicOverTheBoundKeepsItsEvent(t *testing.T) {
	b := server.NewHub(10, 0, 4, true)
	for _, topic := range []string{"a", "b", "c", "d"} {
		hubPublish(t, b, "", topic)
	}
	sub, res, err := b.Subscribe(context.Background(), new(brokertest.Subscriber), []string{"e"}, "")
	require.NoError(t, err)
	sub.Unsubscribe()
	e := hubPublish(t, b, "", "e")
	got := hubResume(t, b, res.Start, "e")
	require.Equal(t, server.ResumeComplete, got.Status)
	require.Equal(t, []string{e}, ids(t, got.Frames), "the event published to the new topic is replayed")
}

// Topics kept only for replay are bounded by MaxReplayTopics.
func TestHubReplayTopicsAreBounded(t *testing.T) {
	b := server.NewHub(16, 0, 100, false)
	for i := range 10_000 {
		hubPublish(t, b, "", "user:"+strconv.Itoa(i))
	}
	require.LessOrEqual(t, server.HubTopics(b), 100)
	require.True(t, server.HubHasTopic(b, "user:9999"), "the newest topic is kept")
}

// Expired events are lost events: a resume from before them is a gap.
func TestHubReplayAge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := server.NewHub(100, 10*time.Second, 0, true)
		first := hubPublish(t, b, "", "t")
		second := hubPublish(t, b, "", "t")
		time.Sleep(5 * time.Second)
		third := hubPublish(t, b, "", "t")
		time.Sleep(6 * time.Second) // first and second are 11 s old, third 6 s
		require.Equal(t, server.ResumeGap, hubResume(t, b, first, "t").Status, "second expired")
		res := hubResume(t, b, second, "t")
		require.Equal(t, server.ResumeComplete, res.Status)
		require.Equal(t, []string{third}, ids(t, res.Frames))
		time.Sleep(5 * time.Second)
		require.Equal(t, server.ResumeGap, hubResume(t, b, second, "t").Status, "third expired")
		require.Equal(t, server.ResumeComplete, hubResume(t, b, third, "t").Status, "nothing after third")
	})
}

// A start position names a publish that need not have that id (an event with an ID of
// the application's own, or none: "<prefix>-0"): a resume from it replays every event
// after it on the session's topics, and a position the hub never reached is unknown.
func TestHubStartPositions(t *testing.T) {
	b := server.NewHub(8, 0, 0, true)
	startOf := func(topics ...string) string {
		t.Helper()
		sub, res, err := b.Subscribe(context.Background(), new(brokertest.Subscriber), topics, "")
		require.NoError(t, err)
		sub.Unsubscribe()
		require.Equal(t, server.ResumeNone, res.Status)
		return res.Start
	}
	zero := startOf("a")
	prefix, ok := strings.CutSuffix(zero, "-0")
	require.True(t, ok, "the start position before any publish is <prefix>-0, got %q", zero)
	require.Equal(t, "mine", hubPublish(t, b, "mine", "a"))
	own := startOf("a")
	require.Equal(t, prefix+"-1", own, "the position of an event with an ID of its own")
	a2 := hubPublish(t, b, "", "a")
	b3 := hubPublish(t, b, "", "b")
	require.Equal(t, prefix+"-3", startOf("a"))

	for _, tt := range []struct {
		from   string
		topics []string
		want   []string
	}{
		{zero, []string{"a"}, []string{"mine", a2}},
		{zero, []string{"a", "b"}, []string{"mine", a2, b3}},
		{own, []string{"a", "b"}, []string{a2, b3}},
		{own, []string{"c"}, nil},
	} {
		res := hubResume(t, b, tt.from, tt.topics...)
		require.Equal(t, server.ResumeComplete, res.Status, "from %s, %v", tt.from, tt.topics)
		require.Equal(t, tt.want, ids(t, res.Frames), "from %s, %v", tt.from, tt.topics)
	}
	for _, id := range []string{prefix + "-4", prefix + "-00", prefix + "-01", prefix + "--1", prefix + "-"} {
		require.Equal(t, server.ResumeUnknown, hubResume(t, b, id, "a").Status, id)
	}
	// No start position without automatic ids, or without replay.
	for _, h := range []server.Broker{server.NewHub(8, 0, 0, false), server.NewHub(0, 0, 0, true)} {
		sub, res, err := h.Subscribe(context.Background(), new(brokertest.Subscriber), []string{"a"}, "")
		require.NoError(t, err)
		sub.Unsubscribe()
		require.Empty(t, res.Start)
	}
}

func TestResumeStatusString(t *testing.T) {
	for st, want := range map[server.ResumeStatus]string{
		server.ResumeNone: "none", server.ResumeComplete: "complete", server.ResumeGap: "gap",
		server.ResumeUnknown: "unknown", 9: "ResumeStatus(9)",
	} {
		require.Equal(t, want, st.String())
	}
}
