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

import "github.com/polysse/sse/internal/clock"

// Event is one event as the Parser yields it. It has exactly the fields of the public
// sse.Event, in the same order and with the same types, so that each converts to the other
// for free (sse.Event(ev)).
//
// Type is the event type a client dispatches ("message" when the stream sent none), ID
// is the source's last event ID after the event (it persists across events), and Data is
// the joined data lines. Retry is always zero here: a retry field is not part of an event
// (see Parser.Retry); it exists for the encoder of the public type. Comment is empty but
// for the comment lines that a Parser with Comments set returns (their Type is empty).
type Event struct {
	// ID is the last event ID after this event.
	ID string
	// Type is the event type.
	Type string
	// Data is the payload: the data lines joined by LF.
	Data string
	// Retry is always zero for a parsed event.
	Retry clock.Duration
	// Comment is the text of a comment line (see Parser.Comments); empty for an event.
	Comment string
}
