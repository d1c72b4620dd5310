package sse

import (
	"time"

	"github.com/polysse/sse/internal/protocol"
)

// Version is the version of polysse.
const Version = protocol.Version

// The vocabulary of polysse's wire conventions (docs/protocol.md), shared by the server,
// the Go client and the WebAssembly EventSource.
const (
	// HeaderLastEventID is the request header carrying the client's last event ID.
	HeaderLastEventID = protocol.HeaderLastEventID
	// HeaderOutcome is the response header of a reconnect that redeems a completion token
	// (a 204): OutcomeComplete or OutcomeFatal. A client closes as it says.
	HeaderOutcome = protocol.HeaderOutcome
	// HeaderHeartbeatInterval is the response header announcing the server's heartbeat
	// interval in milliseconds (see ClientOptions.HeartbeatAuto).
	HeaderHeartbeatInterval = protocol.HeaderHeartbeatInterval
	// HeaderReplay is the response header that says how a stream resumed from the
	// request's Last-Event-ID: ReplayComplete, ReplayGap or ReplayUnknown.
	HeaderReplay = protocol.HeaderReplay

	// ReplayComplete: every event after the Last-Event-ID follows (possibly none):
	// nothing was lost.
	ReplayComplete = protocol.ReplayComplete
	// ReplayGap: the server issued the Last-Event-ID but no longer holds every event after
	// it: some are missing, and the client should resynchronise.
	ReplayGap = protocol.ReplayGap
	// ReplayUnknown: the server does not know the Last-Event-ID (it never issued it, or
	// cannot tell): nothing is replayed.
	ReplayUnknown = protocol.ReplayUnknown

	// EventComplete is the type of the event a server writes when a stream's work is done
	// (its id is a completion token). See ClientOptions.CompleteEvent.
	EventComplete = protocol.EventComplete
	// EventFatal is the type of the event a server writes when a stream fails for good
	// (its id is a completion token). See ClientOptions.FatalEvent.
	EventFatal = protocol.EventFatal

	// DefaultTokenTTL is how long a completion token stays redeemable by default.
	DefaultTokenTTL = time.Duration(protocol.DefaultTokenTTL)
)
