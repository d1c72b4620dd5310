//go:build !js

package server_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// This file holds the raw wire-level client of the tests: it checks statuses, headers and
// exact lines, which the native client (used by the end-to-end tests) hides.

// event is one dispatched event as seen on the wire.
type event struct {
	Type string // "" when the frame had no event field
	ID   string // the id field of this frame, "" when it had none
	Data string
}

// stream is an open response read line by line.
type stream struct {
	t      *testing.T
	Resp   *http.Response
	br     *bufio.Reader
	cancel context.CancelFunc
}

// connect GETs url with the headers of a polysse client plus header. It does not check the
// status. The response is closed when the test ends.
func connect(t *testing.T, c *http.Client, url string, header map[string]string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	s := &stream{t: t, Resp: resp, br: bufio.NewReader(resp.Body), cancel: cancel}
	t.Cleanup(s.Close)
	return s
}

// Close abandons the stream (the client goes away).
func (s *stream) Close() {
	s.cancel()
	_ = s.Resp.Body.Close()
}

// Line returns the next line without its line end.
func (s *stream) Line() (string, error) {
	line, err := s.br.ReadString('\n')
	if err != nil {
		if err == io.EOF && line != "" {
			err = io.ErrUnexpectedEOF
		}
		return line, err
	}
	return strings.TrimSuffix(line, "\n"), nil
}

// Next returns the next dispatched event, skipping comments and retry fields; io.EOF at
// the end of the response.
func (s *stream) Next() (event, error) {
	var ev event
	var data []string
	seen := false
	for {
		line, err := s.Line()
		if err != nil {
			return ev, err
		}
		if line == "" {
			if seen {
				ev.Data = strings.Join(data, "\n")
				return ev, nil
			}
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			ev.Type, seen = value, true
		case "id":
			ev.ID, seen = value, true
		case "data":
			data, seen = append(data, value), true
		}
	}
}

// MustNext returns the next event and fails the test on error.
func (s *stream) MustNext() event {
	s.t.Helper()
	ev, err := s.Next()
	require.NoError(s.t, err)
	return ev
}

// RequireEOF reads the rest of the stream and fails unless it ends with no more events.
func (s *stream) RequireEOF() {
	s.t.Helper()
	ev, err := s.Next()
	require.ErrorIs(s.t, err, io.EOF, "got event %+v", ev)
}
