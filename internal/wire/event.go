// Package wire is the event stream format of polysse as the clients read it: the
// incremental Parser (and the Reader on top of it) that follows the WHATWG HTML Standard's
// rules for interpreting an event stream, the Event it yields, and IndexLineEnd, the one
// line-end scanner of the module.
//
// The public package sse exposes the parser through its own documented Parser and Reader
// types, which delegate here; the WebAssembly binding uses this package directly, so that
// the polyfill never links the public package (and with it net/http). This package
// therefore imports nothing heavy: no net/http, fmt, encoding/json or context.
package wire

import "time"

// Event is one event as the Parser yields it. It has exactly the fields of the public
// sse.Event, in the same order and with the same types, so that each converts to the other
// for free (sse.Event(ev)).
//
// Type is the event type a client dispatches ("message" when the stream sent none), ID
// is the source's last event ID after the event (it persists across events), and Data is
// the joined data lines. Retry and Comment are always empty here: retry fields and
// comments are not part of an event (see Parser.Retry); they exist for the encoder of the
// public type.
type Event struct {
	// ID is the last event ID after this event.
	ID string
	// Type is the event type.
	Type string
	// Data is the payload: the data lines joined by LF.
	Data string
	// Retry is always zero for a parsed event.
	Retry time.Duration
	// Comment is always empty for a parsed event.
	Comment string
}
