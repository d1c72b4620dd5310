//go:build !js

package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sse "github.com/polysse/sse"
)

func TestDemo(t *testing.T) {
	d := newDemo()
	ts := httptest.NewServer(d.mux)
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go d.publishClock(ctx, 10*time.Millisecond)
	t.Cleanup(func() {
		for _, srv := range d.servers {
			require.NoError(t, srv.Shutdown(context.Background()))
		}
	})

	t.Run("page", func(t *testing.T) {
		resp, err := http.Get(ts.URL)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, string(body), "EventSource")
	})

	tests := []struct {
		path       string
		wantLast   string // type of the last event
		wantReason sse.CloseReason
		wantStatus int
	}{
		{"/events/complete", "complete", sse.CloseComplete, 204},
		{"/events/fatal", "fatal", sse.CloseFatalEvent, 204},
		{"/events/refuse", "", sse.CloseHTTPStatus, 401},
		{"/events/refuse?mode=204", "", sse.CloseNoContent, 204},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			c := sse.NewClient(ts.URL+tt.path, &sse.ClientOptions{Retry: sse.RetryPolicy{Initial: time.Millisecond}})
			var last string
			for ev, err := range c.Events(t.Context()) {
				if err != nil {
					break
				}
				last = ev.Type
			}
			require.Equal(t, tt.wantLast, last)
			info := c.CloseInfo()
			require.Equal(t, tt.wantReason, info.Reason)
			require.Equal(t, tt.wantStatus, info.Status)
		})
	}

	t.Run("/events/heartbeat", func(t *testing.T) {
		resp, err := http.Get(ts.URL + "/events/heartbeat")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, "2000", resp.Header.Get(sse.HeaderHeartbeatInterval))
	})

	t.Run("/events/clock resumes", func(t *testing.T) {
		c := sse.NewClient(ts.URL+"/events/clock", nil)
		var prev string
		for ev, err := range c.Events(t.Context()) {
			require.NoError(t, err)
			if prev != "" {
				break
			}
			prev = ev.ID
		}
		// A new client that resumes from prev gets the ticks after it, replayed.
		r := sse.NewClient(ts.URL+"/events/clock", &sse.ClientOptions{LastEventID: prev})
		for ev, err := range r.Events(t.Context()) {
			require.NoError(t, err)
			n := func(id string) int {
				v, err := strconv.Atoi(id[strings.LastIndexByte(id, '-')+1:])
				require.NoError(t, err)
				return v
			}
			require.Equal(t, "message", ev.Type)
			require.Equal(t, n(prev)+1, n(ev.ID), "the next tick, replayed")
			break
		}
	})
}
