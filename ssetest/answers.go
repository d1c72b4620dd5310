package ssetest

import (
	"net/http"
	"strconv"
	"time"

	sse "github.com/polysse/sse"
	"github.com/polysse/sse/internal/fake/script"
)

// Answer is the answer to one connection attempt (or to several, with Times): a stream
// (Stream), a plain response (Respond), no response (NetworkError), possibly after a
// delay.
type Answer struct{ a script.Answer }

// Stream answers with a stream served by the route's server: 200 text/event-stream,
// the server's preamble (a ": ok" comment, the retry field of
// Options.ReconnectionTime), the replay of a resuming client when the route has topics
// and ReplaySize, then steps. Without an ending step (End, Drop, Hold, Complete, Fail)
// the stream is held open until the client goes away, the test ends it or the fake
// resets.
func Stream(steps ...Step) Answer {
	return Answer{script.Answer{Kind: script.AnswerStream, Steps: scriptSteps(steps)}}
}

// Respond answers with a plain response, not through the server: status, header (a nil
// value removes a header, and keeps net/http from sniffing a Content-Type) and a body
// of Raw and Wait steps (and Repeat), each Raw flushed as a chunk of its own, then the
// end. A body that has steps but no ending (End, Drop, Hold) is held open like a
// stream.
func Respond(status int, header http.Header, body ...Step) Answer {
	r := &script.Respond{Status: script.NumOf(int64(status)), Headers: headers(header)}
	if len(body) > 0 {
		r.BodySteps = scriptSteps(body)
	}
	return Answer{script.Answer{Kind: script.AnswerRespond, Respond: r}}
}

// NetworkError answers with no response at all: the client sees a network error.
func NetworkError() Answer { return Answer{script.Answer{Kind: script.AnswerDrop}} }

// Hang answers nothing until the client goes away (a server that never answers).
func Hang() Answer { return Stream().DelayForever() }

// Times returns a serving n attempts (at least 1).
func (a Answer) Times(n int) Answer {
	a.a.Times = max(n, 1)
	return a
}

// Delay returns a answered after d (on the Go runtime's clock: the bubble's time in
// synctest).
func (a Answer) Delay(d time.Duration) Answer {
	dl := script.Delay{Num: script.Millis(d)}
	a.a.Delay = &dl
	return a
}

// DelayForever returns a never answered: the request waits until the client goes
// away (or the fake resets).
func (a Answer) DelayForever() Answer {
	dl := script.DelayForever()
	a.a.Delay = &dl
	return a
}

// Step is one step of a Stream answer or of a Respond body.
type Step struct{ s script.Step }

func scriptSteps(steps []Step) []script.Step {
	out := make([]script.Step, len(steps))
	for i, s := range steps {
		out[i] = s.s
	}
	return out
}

// scriptEvent converts ev (its strings become templates).
func scriptEvent(ev sse.Event) *script.Event {
	e := &script.Event{Type: script.ParseTemplate(ev.Type), ID: script.ParseTemplate(ev.ID), Data: script.DataText(ev.Data)}
	if ev.Retry > 0 {
		n := script.Millis(ev.Retry)
		e.Retry = &n
	}
	return e
}

// Event sends ev through the session (Session.Push). Its strings may contain
// templates. ev.Comment, when set, is sent as comment lines first.
func Event(ev sse.Event) Step {
	if ev.Comment != "" {
		return Step{script.Step{Kind: script.StepRepeat, Num: numPtr(1), Steps: []script.Step{
			{Kind: script.StepComment, Text: script.ParseTemplate(ev.Comment)},
			{Kind: script.StepEvent, Event: scriptEvent(sse.Event{ID: ev.ID, Type: ev.Type, Data: ev.Data, Retry: ev.Retry})},
		}}}
	}
	return Step{script.Step{Kind: script.StepEvent, Event: scriptEvent(ev)}}
}

func numPtr(n int64) *script.Num { x := script.NumOf(n); return &x }

// Data sends an event with data alone.
func Data(data string) Step { return Event(sse.Event{Data: data}) }

// Comment sends a comment (": text"; ":" alone for an empty text, a heartbeat).
func Comment(text string) Step {
	return Step{script.Step{Kind: script.StepComment, Text: script.ParseTemplate(text)}}
}

// Retry sends a retry field alone (the client's reconnection time).
func Retry(d time.Duration) Step {
	n := script.Millis(d)
	return Step{script.Step{Kind: script.StepRetry, Num: &n}}
}

// Raw sends s exactly, flushed as a chunk of its own (chosen chunk boundaries, split
// UTF-8, CR/LF mixes). s may contain templates; RawBytes sends bytes as they are.
func Raw(s string) Step {
	return Step{script.Step{Kind: script.StepRaw, Text: script.ParseTemplate(s)}}
}

// RawBytes sends b exactly, flushed as a chunk of its own.
func RawBytes(b []byte) Step {
	return Step{script.Step{Kind: script.StepRaw, Bytes: append([]byte{}, b...)}}
}

// Wait waits for d (the bubble's time in synctest).
func Wait(d time.Duration) Step {
	n := script.Millis(d)
	return Step{script.Step{Kind: script.StepWait, Num: &n}}
}

// Publish publishes ev to topic through the fake's servers: every stream subscribed to
// the topic receives it, and replay buffers keep it.
func Publish(topic string, ev sse.Event) Step {
	return Step{script.Step{Kind: script.StepPublish, Topic: script.ParseTemplate(topic), Event: scriptEvent(ev)}}
}

// Repeat runs steps n times (n < 0: until the connection ends); {i} in their strings is
// the 1-based round. An endless Repeat must be able to wait or write in every round:
// one whose steps never do (only Publish, Wait(0), empty Raw or Event, no steps) is
// rejected where it is given, as it would spin; a round whose templates expanded empty,
// so that it neither wrote nor waited, is followed by a short wait (10 ms).
func Repeat(n int, steps ...Step) Step {
	s := script.Step{Kind: script.StepRepeat, Steps: scriptSteps(steps)}
	if n >= 0 {
		s.Num = numPtr(int64(n))
	}
	return Step{s}
}

// End ends the response cleanly (a spec client reconnects after its retry time).
func End() Step { return Step{script.Step{Kind: script.StepEnd}} }

// Drop cuts the connection without ending the response: a network error for the client.
func Drop() Step { return Step{script.Step{Kind: script.StepDrop}} }

// Hold keeps the response open (as no ending does): until the client goes away, the
// test ends it, or the fake resets.
func Hold() Step { return Step{script.Step{Kind: script.StepHold}} }

// Complete ends a stream with a "complete" event whose id is a completion token
// (Session.Complete): the client's reconnect with it is answered 204 with SSE-Outcome:
// complete.
func Complete(data string) Step {
	return Step{script.Step{Kind: script.StepComplete, Data: script.DataText(data)}}
}

// Fail ends a stream with a "fatal" event (Session.Fail): the reconnect gets 204 with
// SSE-Outcome: fatal.
func Fail(data string) Step {
	return Step{script.Step{Kind: script.StepFail, Data: script.DataText(data)}}
}

// Header returns an http.Header of name/value pairs (a value "" is a nil value: the
// header is removed). It panics when pairs has an odd length, naming the name without a
// value: a mistake in the test's code, reported as httptest.NewRequest reports bad
// input, at the line that made it.
func Header(pairs ...string) http.Header {
	if len(pairs)%2 != 0 {
		panic("ssetest: Header takes name/value pairs, got " + strconv.Itoa(len(pairs)) +
			" arguments: " + strconv.Quote(pairs[len(pairs)-1]) + " has no value")
	}
	h := http.Header{}
	for i := 0; i+1 < len(pairs); i += 2 {
		k := http.CanonicalHeaderKey(pairs[i])
		if pairs[i+1] == "" {
			h[k] = nil
			continue
		}
		h[k] = append(h[k], pairs[i+1])
	}
	return h
}
