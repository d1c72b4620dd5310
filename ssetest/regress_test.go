package ssetest_test

// Regression tests of ssetest's own behaviour (the fake's capabilities are in
// capability_test.go).

import (
	"io"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/ssetest"
)

// Settled waits for the first n requests of the route to be answered, not for every
// request: a later one still open does not hold it up.
func TestSettledWaitsForTheFirstNRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := ssetest.New(t)
		f.Handle("GET /feed", ssetest.Stream(ssetest.Data("a"), ssetest.End()).Times(1), ssetest.Stream())
		for range 2 {
			resp, err := f.Client().Get(ssetest.URL + "/feed")
			require.NoError(t, err)
			defer resp.Body.Close()
		}
		held := f.NextConn(t, "GET /feed") // the connections open in any order
		if held.Attempt() != 2 {
			held = f.NextConn(t, "GET /feed")
		}
		got := f.Settled(t, "GET /feed", 1)
		require.Len(t, got, 1, "the first n")
		assert.Equal(t, []any{1, ssetest.OutcomeEnded}, []any{got[0].Attempt, got[0].Outcome})
		assert.Equal(t, []any{2, ""}, []any{held.Attempt(), held.Reason()}, "the second is still open")
	})
}

// NextConn called from several goroutines at once returns each connection once.
func TestNextConnFromManyGoroutinesYieldsEachConnectionOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := ssetest.New(t)
		f.Handle("GET /feed", ssetest.Stream())
		const n = 3
		ids := make(chan string, n)
		for range n {
			go func() { ids <- f.NextConn(t, "GET /feed").ID() }()
		}
		synctest.Wait() // all of them wait for the first connection
		for range n {
			resp, err := f.Client().Get(ssetest.URL + "/feed")
			require.NoError(t, err)
			defer resp.Body.Close()
		}
		var got []string
		for range n {
			got = append(got, <-ids)
		}
		assert.ElementsMatch(t, []string{"c1", "c2", "c3"}, got)
	})
}

// New inside a bubble works while another goroutine of the bubble is blocked on a mutex
// that the caller holds (telling a bubble apart once waited for the bubble's other
// goroutines to block durably, which they never do then).
func TestNewWhileTheCallerHoldsAMutexAnotherGoroutineWants(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		mu.Lock()
		go func() {
			mu.Lock()
			defer mu.Unlock()
		}()
		f := ssetest.New(t)
		mu.Unlock()
		f.Handle("GET /feed", ssetest.Respond(http.StatusNoContent, nil))
		resp, err := f.Client().Get(ssetest.URL + "/feed")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	})
}

// An endless Repeat whose steps never wait or write is rejected where it is given (it
// would spin): Handle names the route and the step; Context.Serve returns the error.
func TestAnEndlessRepeatThatWouldSpinIsRejected(t *testing.T) {
	spin := ssetest.Stream(ssetest.Data("a"), ssetest.Repeat(-1, ssetest.Publish("t", sse.Event{Data: "x"}), ssetest.Wait(0)))
	t.Run("Handle", func(t *testing.T) {
		f := ssetest.NewFake() // its errors are panics
		defer f.Close()
		assert.PanicsWithValue(t, `ssetest: route "GET /feed": script: answers[0].stream[1].repeat: a repeat step without a count must wait or write in every round, but its steps never do (it would spin): add a wait step, or give it a count`,
			func() { f.Handle("GET /feed", spin) })
	})
	t.Run("Serve", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := ssetest.New(t)
			served := make(chan error, 1)
			f.HandleFunc("GET /feed", func(c *ssetest.Context) {
				served <- c.Serve(spin)
				_ = c.Respond(http.StatusTeapot, nil, "")
			})
			resp, err := f.Client().Get(ssetest.URL + "/feed")
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusTeapot, resp.StatusCode)
			assert.ErrorContains(t, <-served, "stream[1].repeat: a repeat step without a count must wait or write")
		})
	})
}

// The errors a test sees say "ssetest:", and errors.Is still finds ErrEnded.
func TestErrorsSaySsetest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := ssetest.New(t)
		f.Handle("GET /feed", ssetest.Stream(ssetest.End()))
		resp, err := f.Client().Get(ssetest.URL + "/feed")
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body) // to the end: the stream ends, not the client
		resp.Body.Close()
		c := f.NextConn(t, "GET /feed")
		assert.Equal(t, ssetest.ReasonClosed, c.Wait(t))
		for name, err := range map[string]error{
			"Send": c.Send(sse.Event{Data: "late"}), "Comment": c.Comment("late"), "Raw": c.Raw([]byte("late")),
			"End": c.End(), "Drop": c.Drop(), "Complete": c.Complete(""), "Fail": c.Fail(""),
		} {
			require.Error(t, err, name)
			assert.ErrorIs(t, err, ssetest.ErrEnded, name)
			assert.Equal(t, "ssetest: connection c1 (GET /feed) has ended: closed", err.Error(), name)
		}
		assert.Equal(t, "ssetest: connection ended", ssetest.ErrEnded.Error())
		_, err = f.Broadcast("GET /nowhere", sse.Event{Data: "x"})
		assert.EqualError(t, err, `ssetest: no route "GET /nowhere"`)
	})
}

// Header panics on an odd number of arguments, naming the one without a value (a
// programming error, as httptest.NewRequest panics on bad input; staticcheck's SA5012
// reports such a call before it runs).
func TestHeaderWithAnOddNumberOfArgumentsPanics(t *testing.T) {
	assert.PanicsWithValue(t, `ssetest: Header takes name/value pairs, got 3 arguments: "Retry-After" has no value`,
		func() {
			//lint:ignore SA5012 the odd number is the point of the test
			ssetest.Header("Content-Type", "text/plain", "Retry-After")
		})
	assert.Equal(t, http.Header{"Content-Type": {"text/plain"}, "X-Gone": nil}, ssetest.Header("content-type", "text/plain", "X-Gone", ""))
}

// The outcome and reason constants are the words the journal and connections use.
func TestOutcomeAndReasonConstants(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := ssetest.New(t)
		f.Unhandled(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) })
		f.Handle("GET /drop", ssetest.Stream(ssetest.Drop()))
		f.Handle("GET /end", ssetest.Respond(http.StatusOK, nil, ssetest.Raw("x"), ssetest.End()))
		f.Route(ssetest.Route{Pattern: "GET /refused", Answers: []ssetest.Answer{ssetest.Stream()},
			Options: ssetest.Options{Refuse: &ssetest.Refusal{Status: http.StatusServiceUnavailable}}})
		for _, path := range []string{"/drop", "/end", "/refused", "/none"} {
			if resp, err := f.Client().Get(ssetest.URL + path); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
		j := f.Settled(t, "", 4)
		assert.Equal(t, []string{ssetest.OutcomeDropped, ssetest.OutcomeEnded, ssetest.OutcomeRefused, ssetest.OutcomeUnhandled},
			[]string{j[0].Outcome, j[1].Outcome, j[2].Outcome, j[3].Outcome})
		reasons := map[string]string{}
		for range 2 {
			c := f.NextConn(t, "")
			reasons[c.Route()] = c.Wait(t)
		}
		assert.Equal(t, map[string]string{"GET /drop": ssetest.ReasonDropped, "GET /end": ssetest.ReasonEnded}, reasons)
	})
}
