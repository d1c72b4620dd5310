// Package bench holds the workloads shared by the benchmarks of polysse against its peers
// (tmaxmax/go-sse, r3labs/sse/v2, launchdarkly/eventsource). It is a separate Go module,
// so the peers never enter polysse's own go.mod.
package bench

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/polysse/sse"
)

// Workload is a pre-built event stream: the events, and their wire form as every peer
// writes it ("id: …\nevent: …\ndata: …\n" per line of data, then a blank line).
type Workload struct {
	// Name is the sub-benchmark name, e.g. "1KiB".
	Name string
	// Events are the events of the stream, in order.
	Events []sse.Event
	// Stream is the wire form of Events.
	Stream []byte
	// DataBytes is the sum of len(Data) over Events, to check that a parser returned
	// every byte of every event.
	DataBytes int
}

// Workloads returns the parser and encoder inputs: events of 64 B, 1 KiB and 64 KiB of
// data on one line each, 1 KiB of data split into 32 lines of 32 bytes, and 1 KiB events
// whose type rotates among three names. Every event has an id (it changes on every event,
// as in real traffic) and an event type. Each stream is a few hundred KiB to 1 MiB.
func Workloads() []Workload {
	return []Workload{
		Build("64B", 4096, 64, 1, 1),
		Build("1KiB", 512, 1024, 1, 1),
		Build("64KiB", 16, 64<<10, 1, 1),
		Build("1KiB-32lines", 512, 1024, 32, 1),
		Build("1KiB-3types", 512, 1024, 1, 3),
	}
}

var eventTypes = []string{"update", "delete", "presence"}

// Build makes a workload of n events, each with size bytes of ASCII, JSON-like data split
// into lines equal lines (size must be a multiple of lines), an id, and an event type
// taken in turn from the first types names of a fixed list.
func Build(name string, n, size, lines, types int) Workload {
	if size%lines != 0 {
		panic("bench: size is not a multiple of lines")
	}
	w := Workload{Name: name, Events: make([]sse.Event, n)}
	var stream bytes.Buffer
	for i := range w.Events {
		ev := sse.Event{
			ID:   "1732190400000-" + strconv.Itoa(i),
			Type: eventTypes[i%types],
			Data: payload(i, size, lines),
		}
		w.Events[i] = ev
		w.DataBytes += len(ev.Data)
		stream.WriteString("id: " + ev.ID + "\n")
		stream.WriteString("event: " + ev.Type + "\n")
		for line := range strings.SplitSeq(ev.Data, "\n") {
			stream.WriteString("data: " + line + "\n")
		}
		stream.WriteString("\n")
	}
	w.Stream = stream.Bytes()
	return w
}

// payload returns size bytes of data for event i: lines lines of equal length joined by
// LF (the LFs count towards size), each a JSON-like record padded with letters.
func payload(i, size, lines int) string {
	per := size / lines
	var b strings.Builder
	b.Grow(size)
	for l := range lines {
		width := per
		if l < lines-1 {
			width-- // the LF that joins this line to the next
		}
		rec := fmt.Sprintf(`{"i":%d,"l":%d,"v":"`, i, l)
		const tail = `"}`
		pad := width - len(rec) - len(tail)
		if pad < 0 {
			rec, pad = rec[:width-len(tail)], 0
		}
		b.WriteString(rec)
		for k := range pad {
			b.WriteByte('a' + byte((i+l+k)%26))
		}
		b.WriteString(tail)
		if l < lines-1 {
			b.WriteByte('\n')
		}
	}
	if b.Len() != size {
		panic(fmt.Sprintf("bench: payload is %d bytes, want %d", b.Len(), size))
	}
	return b.String()
}
