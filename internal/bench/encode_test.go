package bench_test

import (
	"bufio"
	"bytes"
	"io"
	"testing"

	ldes "github.com/launchdarkly/eventsource"
	"github.com/polysse/sse"
	"github.com/polysse/sse/internal/bench"
	gosse "github.com/tmaxmax/go-sse"
)

type encoder struct {
	name string
	// prepare builds, outside the timed loop, whatever the implementation needs from
	// w's events (its own event values) and returns a function that writes all of
	// them to dst, as a server writes a stream.
	prepare func(w *bench.Workload, dst io.Writer) func() error
}

// encoders are the implementations compared by BenchmarkEncode. r3labs/sse has no
// exported encoder: its server formats events inside its unexported HTTP handler.
var encoders = []encoder{
	{"polysse", preparePolysse},
	{"polysse-frame", preparePolysseFrame},
	{"go-sse", prepareGoSSE},
	{"go-sse-build", prepareGoSSEBuild},
	{"launchdarkly", prepareLaunchDarkly},
}

// sinks are the writers the encoders write to. "discard" is io.Discard: a Write costs
// nothing, so an encoder that hands the caller's strings straight to Write (go-sse,
// launchdarkly) copies no data at all. "bufio" is a 4 KiB bufio.Writer in front of
// io.Discard, like the buffered writer behind an http.ResponseWriter: every byte is
// copied once by the sink, and every Write call has a cost.
var sinks = []struct {
	name string
	make func() io.Writer
}{
	{"discard", func() io.Writer { return io.Discard }},
	{"bufio", func() io.Writer { return bufio.NewWriterSize(io.Discard, 4096) }},
}

// preparePolysse writes with sse.Encoder.Encode: one Write per event.
func preparePolysse(w *bench.Workload, dst io.Writer) func() error {
	enc := sse.NewEncoder(dst)
	evs := w.Events
	return func() error {
		for i := range evs {
			if err := enc.Encode(&evs[i]); err != nil {
				return err
			}
		}
		return nil
	}
}

// preparePolysseFrame encodes every event once with Event.AppendTo in prepare, outside
// the timing, and writes the frames: what a polysse server does per subscriber when it
// fans one published event out, and the counterpart of go-sse's prebuilt Message below.
func preparePolysseFrame(w *bench.Workload, dst io.Writer) func() error {
	frames := make([][]byte, len(w.Events))
	for i := range w.Events {
		f, err := w.Events[i].AppendTo(nil)
		if err != nil {
			panic(err)
		}
		frames[i] = f
	}
	return func() error {
		for _, f := range frames {
			if _, err := dst.Write(f); err != nil {
				return err
			}
		}
		return nil
	}
}

// prepareGoSSE writes with go-sse's Message.WriteTo (its server-side event type; the
// Event type of go-sse is the client's and has no WriteTo). Building a Message,
// which splits the data into lines, happens in prepare, outside the timing.
func prepareGoSSE(w *bench.Workload, dst io.Writer) func() error {
	msgs := make([]*gosse.Message, len(w.Events))
	for i, ev := range w.Events {
		m := &gosse.Message{ID: gosse.ID(ev.ID), Type: gosse.Type(ev.Type)}
		m.AppendData(ev.Data)
		msgs[i] = m
	}
	return func() error {
		for _, m := range msgs {
			if _, err := m.WriteTo(dst); err != nil {
				return err
			}
		}
		return nil
	}
}

// prepareGoSSEBuild builds each go-sse Message (ID, Type, AppendData) inside the timing,
// then writes it: what a go-sse server does once per published event.
func prepareGoSSEBuild(w *bench.Workload, dst io.Writer) func() error {
	evs := w.Events
	var m gosse.Message
	return func() error {
		for i := range evs {
			m = gosse.Message{ID: gosse.ID(evs[i].ID), Type: gosse.Type(evs[i].Type)}
			m.AppendData(evs[i].Data)
			if _, err := m.WriteTo(dst); err != nil {
				return err
			}
		}
		return nil
	}
}

// ldEvent is an event for launchdarkly/eventsource, which takes an interface.
type ldEvent struct{ id, typ, data string }

func (e *ldEvent) Id() string    { return e.id }
func (e *ldEvent) Event() string { return e.typ }
func (e *ldEvent) Data() string  { return e.data }

// prepareLaunchDarkly writes with launchdarkly/eventsource's Encoder.Encode.
func prepareLaunchDarkly(w *bench.Workload, dst io.Writer) func() error {
	evs := make([]ldes.Event, len(w.Events))
	for i, ev := range w.Events {
		evs[i] = &ldEvent{ev.ID, ev.Type, ev.Data}
	}
	enc := ldes.NewEncoder(dst, false)
	return func() error {
		for _, ev := range evs {
			if err := enc.Encode(ev); err != nil {
				return err
			}
		}
		return nil
	}
}

// BenchmarkEncode writes each workload's events per iteration with every implementation,
// to each sink. Beforehand, each implementation's output is checked to be the workload's
// stream byte for byte, so that all of them do the same work.
func BenchmarkEncode(b *testing.B) {
	for i := range workloads {
		w := &workloads[i]
		b.Run(w.Name, func(b *testing.B) {
			for _, sink := range sinks {
				b.Run(sink.name, func(b *testing.B) {
					for _, e := range encoders {
						b.Run(e.name, func(b *testing.B) {
							benchmarkEncode(b, w, e, sink.make())
						})
					}
				})
			}
		})
	}
}

func benchmarkEncode(b *testing.B, w *bench.Workload, e encoder, dst io.Writer) {
	var out bytes.Buffer
	if err := e.prepare(w, &out)(); err != nil {
		b.Fatalf("%s: %v", e.name, err)
	}
	if !bytes.Equal(out.Bytes(), w.Stream) {
		b.Fatalf("%s: output (%d bytes) differs from the workload stream (%d bytes)",
			e.name, out.Len(), len(w.Stream))
	}
	run := e.prepare(w, dst)
	b.SetBytes(int64(len(w.Stream)))
	b.ReportAllocs()
	for b.Loop() {
		if err := run(); err != nil {
			b.Fatalf("%s: %v", e.name, err)
		}
	}
	b.ReportMetric(float64(len(w.Events)), "events/op")
}
