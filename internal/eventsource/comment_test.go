package eventsource_test

// ClientOptions.OnComment: the stream's comment lines, in order with the events.

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/eventsource"
)

// commentTestClient is clientTestNewClient with OnComment recorded in the log as
// "comment <text> <state>"; closeAt and restartAt are log entry prefixes at which the
// client is closed or restarted from inside the callback.
func commentTestClient(url string, opts eventsource.ClientOptions, restartAt string, closeAt ...string) (*eventsource.Client, *clientTestRecorder) {
	var rec *clientTestRecorder
	opts.OnComment = func(text string) {
		entry := "comment " + text + " " + rec.c.ReadyState().String()
		rec.add(entry, nil)
		if restartAt != "" && entry == restartAt {
			rec.c.Restart()
		}
	}
	c, rec := clientTestNewClient(url, opts, closeAt...)
	return c, rec
}

func TestClientOnComment(t *testing.T) {
	for _, tc := range []struct {
		name      string
		replies   []clientTestReply
		restartAt string
		closeAt   []string
		want      []string
	}{
		{
			name: "in order with the events, one leading space removed, across chunks",
			replies: []clientTestReply{clientTestHeld(
				": hello\n\ndata: a\n: inside\ndata: b\n\n:no space\n",
				":  two spaces\r\n:\n", ": split", " across chunks\ndata: END\n\n",
			)},
			closeAt: []string{`event message id="" data="END"`},
			want: []string{
				`open OPEN`, `comment hello OPEN`, `comment inside OPEN`, `event message id="" data="a\nb" OPEN`,
				`comment no space OPEN`, `comment  two spaces OPEN`, `comment  OPEN`, `comment split across chunks OPEN`,
				`event message id="" data="END" OPEN`, clientTestCloseLocal,
			},
		},
		{
			name:    "Close inside OnComment: nothing follows",
			replies: []clientTestReply{clientTestHeld(": stop here\ndata: a\n\n: and not this\n")},
			closeAt: []string{`comment stop here`},
			want:    []string{`open OPEN`, `comment stop here OPEN`, clientTestCloseLocal},
		},
		{
			name:      "Restart inside OnComment: nothing more of that connection",
			replies:   []clientTestReply{clientTestHeld(": again\ndata: a\n\n"), clientTestHeld(": second\n")},
			restartAt: `comment again OPEN`,
			closeAt:   []string{`comment second`},
			want:      []string{`open OPEN`, `comment again OPEN`, `open OPEN`, `comment second OPEN`, clientTestCloseLocal},
		},
		{
			name: "heartbeat comments of a quiet stream",
			replies: []clientTestReply{clientTestHeld(
				"retry: 100\n\n", ":\n", ":\n", "data: END\n\n",
			)},
			closeAt: []string{`event`},
			want:    []string{`open OPEN`, `comment  OPEN`, `comment  OPEN`, `event message id="" data="END" OPEN`, clientTestCloseLocal},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clientTestEachEnv(t, tc.replies, func(t *testing.T, s *clientTestServer) {
				c, rec := commentTestClient(s.URL+"/stream", eventsource.ClientOptions{Transport: s.Transport}, tc.restartAt, tc.closeAt...)
				require.NoError(t, clientTestRun(t, s, c))
				assert.Equal(t, tc.want, rec.entries())
			})
		})
	}
}

// TestClientOnCommentWithEvents: OnComment is called on the goroutine of the Events loop,
// between the events it yields.
func TestClientOnCommentWithEvents(t *testing.T) {
	replies := []clientTestReply{clientTestHeld(": one\ndata: a\n\n: two\ndata: b\n\n")}
	clientTestServeMem(t, replies, func(t *testing.T, s *clientTestServer) {
		var log []string // no lock: OnComment and the loop body run on this goroutine
		c := eventsource.NewClient(s.URL+"/stream", &eventsource.ClientOptions{
			Transport: s.Transport,
			OnComment: func(text string) { log = append(log, "comment "+text) },
		})
		for ev, err := range c.Events(t.Context()) {
			require.NoError(t, err)
			log = append(log, "event "+ev.Data)
			if ev.Data == "b" {
				break
			}
		}
		assert.Equal(t, []string{"comment one", "event a", "comment two", "event b"}, log)
	})
}

// TestClientOnCommentLastEventID: inside OnComment, LastEventID is the last event ID at
// that line, an id-only block before it included.
func TestClientOnCommentLastEventID(t *testing.T) {
	replies := []clientTestReply{clientTestHeld("id: 1\ndata: a\n\n: one\nid: 2\n\n: two\n")}
	clientTestServeMem(t, replies, func(t *testing.T, s *clientTestServer) {
		var c *eventsource.Client
		var got []string
		c = eventsource.NewClient(s.URL+"/stream", &eventsource.ClientOptions{
			Transport: s.Transport,
			OnComment: func(text string) {
				got = append(got, text+"@"+c.LastEventID())
				if text == "two" {
					c.Close()
				}
			},
		})
		require.NoError(t, c.Run(t.Context()))
		assert.Equal(t, []string{"one@1", "two@2"}, got)
	})
}
