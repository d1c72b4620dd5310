package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// writer writes a session's frames to its response with a per-write deadline.
type writer struct {
	w         http.ResponseWriter
	timeout   time.Duration // of one batch; <= 0: none
	deadlines bool          // the ResponseWriter supports SetWriteDeadline and timeout > 0 (set by Session.start)
}

// write writes frames and flushes them: before each index in breaks (ascending) and at
// the end. The caller has set the write deadline and passes it, for telling a timeout
// from other errors. On error it returns the reason to end the session.
func (wr *writer) write(ctx context.Context, deadline time.Time, frames [][]byte, breaks []int) (Reason, error) {
	rc := http.NewResponseController(wr.w) // does not escape: no allocation
	var err error
	for i, b := range frames {
		if len(breaks) > 0 && breaks[0] == i {
			breaks = breaks[1:]
			if i > 0 {
				if err = rc.Flush(); err != nil {
					break
				}
			}
		}
		if _, err = wr.w.Write(b); err != nil {
			break
		}
	}
	if err == nil {
		err = rc.Flush()
	}
	if err == nil {
		if wr.deadlines {
			// Clear it: over HTTP/2 a passed deadline resets the stream even when idle.
			_ = rc.SetWriteDeadline(time.Time{})
		}
		return "", nil
	}
	// Check the deadline before the context: net/http cancels the request's context on
	// any write error, a timeout included.
	switch {
	case errors.Is(err, http.ErrNotSupported):
		return ReasonClosed, fmt.Errorf("%w: %w", ErrNotFlushable, err)
	case wr.deadlines && (errors.Is(err, os.ErrDeadlineExceeded) || !time.Now().Before(deadline)):
		return ReasonEvicted, fmt.Errorf("%w: %w", ErrWriteTimeout, err)
	case ctx.Err() != nil:
		return ReasonClientGone, context.Cause(ctx)
	default:
		return ReasonClientGone, err
	}
}

// flushable reports whether http.ResponseController can flush w, without flushing: the
// same walk through Unwrap methods that ResponseController.Flush makes. When it cannot,
// it also returns the chain of writer types it looked at, for the error message.
func flushable(w http.ResponseWriter) (ok bool, chain string) {
	rw := w
	for {
		switch t := rw.(type) {
		case interface{ FlushError() error }, http.Flusher:
			return true, ""
		case interface{ Unwrap() http.ResponseWriter }:
			chain += fmt.Sprintf("%T → ", rw)
			rw = t.Unwrap()
		default:
			return false, chain + fmt.Sprintf("%T", rw)
		}
	}
}

// notFlushableMessage explains why the ResponseWriter chain cannot stream and what to do.
func notFlushableMessage(chain string) string {
	msg := "server: the http.ResponseWriter (" + chain + ") cannot flush, so events cannot stream: "
	if strings.HasSuffix(chain, "*http.timeoutWriter") {
		return msg + "http.TimeoutHandler buffers the whole response; do not wrap an event stream in it " +
			"(Options.WriteTimeout bounds each write instead)"
	}
	return msg + "a middleware wraps it without a Flush method; give the middleware's writer a method " +
		"Unwrap() http.ResponseWriter (or Flush), or keep the stream's route out of that middleware " +
		"(compressing middleware must flush its encoder too)"
}
