package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"

	ldes "github.com/launchdarkly/eventsource"
	"github.com/polysse/sse"
	r3sse "github.com/r3labs/sse/v2"
	gosse "github.com/tmaxmax/go-sse"
	"gopkg.in/cenkalti/backoff.v1"
)

// maxEvent is the event size limit given to every parser that has one, above the
// largest workload event (go-sse and r3labs default to 64 KiB, which is too small).
const maxEvent = 1 << 20

// tally is what a parser found in a stream: enough to tell that it returned every event,
// whole and separate.
type tally struct {
	events   int
	data     int // sum of len(Data)
	lastID   string
	lastType string
	lastData string
	noLast   bool // the parser does not build events (fields only): last* are not set
}

type parser struct {
	name  string
	parse func(r *bytes.Reader) (tally, error)
}

// parsers are the implementations compared by BenchmarkParse. Each one reads the whole
// stream from an io.Reader, as a client does.
var parsers = []parser{
	{"polysse", parsePolysse},
	{"go-sse", parseGoSSE},
	{"r3labs", parseR3labs},
	{"r3labs-framing", parseR3labsFraming},
	{"launchdarkly", parseLaunchDarkly},
}

// parsePolysse reads events with sse.Reader until io.EOF.
func parsePolysse(r *bytes.Reader) (tally, error) {
	var t tally
	rd := sse.NewReader(r, 0, "")
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			return t, nil
		}
		if err != nil {
			return t, err
		}
		t.events++
		t.data += len(ev.Data)
		t.lastID, t.lastType, t.lastData = ev.ID, ev.Type, ev.Data
	}
}

// parseGoSSE uses go-sse's exported parsing entry point, sse.Read: its parser (a
// bufio.Scanner split into events, then fields) plus the assembly of each Event. go-sse
// exports no lower-level parser; the comparison goes through its public API only.
func parseGoSSE(r *bytes.Reader) (tally, error) {
	var t tally
	for ev, err := range gosse.Read(r, &gosse.ReadConfig{MaxEventSize: maxEvent}) {
		if err != nil {
			return t, err
		}
		t.events++
		t.data += len(ev.Data)
		t.lastID, t.lastType, t.lastData = ev.LastEventID, ev.Type, ev.Data
	}
	return t, nil
}

// bodyTransport answers every request with a 200 text/event-stream response whose body
// is r: the r3labs client parses the stream with no network in between.
type bodyTransport struct{ r io.Reader }

func (tr bodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"text/event-stream"}},
		Body:       io.NopCloser(tr.r),
		Request:    req,
	}, nil
}

// parseR3labs parses through r3labs/sse's Client: r3labs exports no standalone parser
// (its field parsing, processEvent, is unexported), so the closest exported path is
// the client itself, given an in-memory transport. It includes what the client adds
// per stream (a request, a reader goroutine) and per event (a channel handoff).
func parseR3labs(r *bytes.Reader) (tally, error) {
	var t tally
	c := r3sse.NewClient("http://bench.invalid/events", r3sse.ClientMaxBufferSize(maxEvent))
	c.Connection = &http.Client{Transport: bodyTransport{r}}
	c.ReconnectStrategy = &backoff.StopBackOff{} // an error ends the run, no retry
	var last *r3sse.Event
	err := c.SubscribeRaw(func(ev *r3sse.Event) {
		t.events++
		t.data += len(ev.Data)
		last = ev
	})
	if last != nil {
		t.lastID, t.lastType, t.lastData = string(last.ID), string(last.Event), string(last.Data)
	}
	return t, err
}

// parseR3labsFraming is r3labs' exported EventStreamReader alone: it splits the stream
// into raw event blocks and parses no field. Less work than a parse, shown for scale.
func parseR3labsFraming(r *bytes.Reader) (tally, error) {
	t := tally{noLast: true}
	rd := r3sse.NewEventStreamReader(r, maxEvent)
	for {
		_, err := rd.ReadEvent()
		if err == io.EOF {
			t.data = -1 // not measured
			return t, nil
		}
		if err != nil {
			return t, err
		}
		t.events++
	}
}

// parseLaunchDarkly reads events with launchdarkly/eventsource's Decoder until io.EOF.
func parseLaunchDarkly(r *bytes.Reader) (tally, error) {
	var t tally
	dec := ldes.NewDecoder(r)
	for {
		ev, err := dec.Decode()
		if err == io.EOF {
			return t, nil
		}
		if err != nil {
			return t, err
		}
		t.events++
		t.data += len(ev.Data())
		t.lastID, t.lastType, t.lastData = ev.Id(), ev.Event(), ev.Data()
	}
}

// check reports how t differs from what w holds, or nil.
func check(w *Workload, t tally, full bool) error {
	if t.events != len(w.Events) {
		return fmt.Errorf("parsed %d events, want %d", t.events, len(w.Events))
	}
	if t.data >= 0 && t.data != w.DataBytes {
		return fmt.Errorf("parsed %d bytes of data, want %d", t.data, w.DataBytes)
	}
	if !full {
		return nil
	}
	last := w.Events[len(w.Events)-1]
	if t.lastID != "" && t.lastID != last.ID {
		return fmt.Errorf("last event id %q, want %q", t.lastID, last.ID)
	}
	if t.noLast {
		return nil
	}
	if t.lastID != last.ID || t.lastType != last.Type || t.lastData != last.Data {
		return errors.New("last event differs from the input")
	}
	return nil
}

// RunParse is BenchmarkParse: it parses each workload's whole stream per iteration, end to
// end through an io.Reader (a bytes.Reader reset each time), with every implementation.
// workloads are those of Workloads, built once by the caller (every benchmark of a
// workload reads the same bytes). cpu, if not nil, returns the CPU time the process has used so far, in ns: it adds the
// cpu-ns/op metric (every thread's time, the garbage collector's included), which a busy
// machine disturbs less than the wall-clock ns/op.
func RunParse(b *testing.B, workloads []Workload, cpu func() int64) {
	for i := range workloads {
		w := &workloads[i]
		b.Run(w.Name, func(b *testing.B) {
			for _, p := range parsers {
				b.Run(p.name, func(b *testing.B) {
					r := bytes.NewReader(w.Stream)
					t, err := p.parse(r)
					if err == nil {
						err = check(w, t, true)
					}
					if err != nil {
						b.Fatalf("%s: %v", p.name, err)
					}
					b.SetBytes(int64(len(w.Stream)))
					b.ReportAllocs()
					var cpu0 int64
					if cpu != nil {
						cpu0 = cpu()
					}
					for b.Loop() {
						r.Reset(w.Stream)
						t, err := p.parse(r)
						if err == nil {
							err = check(w, t, false)
						}
						if err != nil {
							b.Fatalf("%s: %v", p.name, err)
						}
					}
					if cpu != nil {
						b.ReportMetric(float64(cpu()-cpu0)/float64(b.N), "cpu-ns/op")
					}
					b.ReportMetric(float64(len(w.Events)), "events/op")
				})
			}
		})
	}
}
