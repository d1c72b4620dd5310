// Package protocol is the one home of polysse's wire vocabulary: the header names, event
// names, outcome values, defaults and the completion-token format that the server, the
// native client, the WebAssembly binding and the fake server all use.
//
// It imports nothing but internal/clock (durations without package time), so that the
// WebAssembly polyfill can link it without growing. The public package sse re-exports what users need.
package protocol

import "github.com/polysse/sse/internal/clock"

// Version is the version of polysse.
const Version = "0.1.0"

// Header names.
const (
	// HeaderLastEventID is the request header carrying the client's last event ID.
	HeaderLastEventID = "Last-Event-ID"
	// HeaderOutcome is the response header of a reconnect that redeems a completion token:
	// OutcomeComplete or OutcomeFatal.
	HeaderOutcome = "SSE-Outcome"
	// HeaderHeartbeatInterval is the response header announcing the server's heartbeat
	// interval in milliseconds.
	HeaderHeartbeatInterval = "SSE-Heartbeat-Interval"
	// HeaderReplay is the response header that says how a stream resumed from the
	// request's Last-Event-ID: ReplayComplete, ReplayGap or ReplayUnknown.
	HeaderReplay = "SSE-Replay"
)

// Values of HeaderReplay.
const (
	// ReplayComplete: every event after the Last-Event-ID that the stream's topics received
	// follows (possibly none): nothing was lost.
	ReplayComplete = "complete"
	// ReplayGap: the server issued the Last-Event-ID but no longer holds every event after
	// it: some are missing, and the client should resynchronise.
	ReplayGap = "gap"
	// ReplayUnknown: the server does not know the Last-Event-ID (it never issued it, or
	// cannot tell): nothing is replayed.
	ReplayUnknown = "unknown"
)

// Event types and outcomes of the completion protocol.
const (
	// EventComplete is the type of the event a server writes when a stream's work is done.
	EventComplete = "complete"
	// EventFatal is the type of the event a server writes when a stream fails for good.
	EventFatal = "fatal"
	// OutcomeComplete is the outcome recorded for a complete event's token.
	OutcomeComplete = "complete"
	// OutcomeFatal is the outcome recorded for a fatal event's token.
	OutcomeFatal = "fatal"
)

// Defaults.
const (
	// DefaultReconnectionTime is the reconnection time before any retry field, as in
	// browsers.
	DefaultReconnectionTime = 3 * clock.Second
	// DefaultMaxEventSize is the largest event a parser accepts unless configured
	// otherwise.
	DefaultMaxEventSize = 8 << 20
	// DefaultTokenTTL is how long a completion token stays redeemable by default.
	DefaultTokenTTL = 5 * clock.Minute
	// MaxLastEventIDLen is the longest last event ID, in bytes, that polysse's server
	// accepts in a Last-Event-ID header (it ignores a longer one) and that its clients
	// store by default (they ignore a longer id field), so that a client never sends back
	// an id the server would not read.
	MaxLastEventIDLen = 1024
	// DefaultRetryMin is the shortest reconnection delay of the clients unless configured
	// otherwise: a retry field of 0 cannot make them reconnect more often than a hundred
	// times a second, fewer than a browser's EventSource does against a local server.
	DefaultRetryMin = 10 * clock.Millisecond
	// DefaultResetAfter is how long a connection must stay open, by default, for the
	// clients' count of consecutive failures to start again from zero.
	DefaultResetAfter = 5 * clock.Second
)

// TokenLen is the length of a completion token: a UUID in its canonical text form.
const TokenLen = 36

// IsToken reports whether s has the form of a completion token: a UUID in its canonical
// 36-character text form (hex digits in either case, hyphens after the 8th, 12th, 16th
// and 20th digits). Servers use it to skip the completion store for every other
// Last-Event-ID.
func IsToken(s string) bool {
	if len(s) != TokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// LastEventID returns the last event ID that polysse's server reads from a request, the
// one rule shared by the server and the fake server (whose journal, templates and token
// check must agree with what the server used): header, the value of the request's first
// Last-Event-ID header ("" when it has none), or, when that is empty, query(), the first
// value of the query parameter named by the server's last-event-id query option (query
// nil, or returning "": none). CR, LF and NUL are removed; an ID longer than
// MaxLastEventIDLen bytes (before that removal) is ignored: the result is "".
func LastEventID(header string, query func() string) string {
	id := header
	if id == "" && query != nil {
		id = query()
	}
	if len(id) > MaxLastEventIDLen {
		return ""
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c == '\r' || c == '\n' || c == 0 {
			return stripLineBreaks(id)
		}
	}
	return id
}

// stripLineBreaks returns s without its CR, LF and NUL bytes.
func stripLineBreaks(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '\r' && c != '\n' && c != 0 {
			b = append(b, c)
		}
	}
	return string(b)
}
