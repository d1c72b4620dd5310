package jsbridge

// A batch flushed during a push is held for the JavaScript that pushed, and sent from Go
// before anything else reaches the sink (an internal test: the binding and the push state
// are unexported).

import (
	"strings"
	"syscall/js"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/wire"
)

// recordingSink returns a sink object whose methods record their calls ("_batch:count",
// "_comment:text") in calls, and a function that releases them.
func recordingSink(calls *[]string) (js.Value, func()) {
	sink := js.Global().Get("Object").New()
	batch := js.FuncOf(func(_ js.Value, args []js.Value) any {
		*calls = append(*calls, "_batch:"+js.Global().Get("String").Invoke(args[2]).String())
		return nil
	})
	comment := js.FuncOf(func(_ js.Value, args []js.Value) any {
		*calls = append(*calls, "_comment:"+args[0].String())
		return nil
	})
	sink.Set("_batch", batch)
	sink.Set("_comment", comment)
	return sink, func() { batch.Release(); comment.Release() }
}

func TestPushHoldsBatch(t *testing.T) {
	ev := func(data string) wire.Event { return wire.Event{Type: "message", Data: data} }
	for _, tc := range []struct {
		name      string
		inPush    bool // the binding's body is being pushed
		run       func(b *binding)
		wantCalls []string
		wantHeld  int // events handed over at the end of the push (0: none held)
	}{
		{"events of a push are held for the pusher", true, func(b *binding) {
			b.add(ev("a"))
			b.add(ev("b"))
			b.flush()
		}, nil, 2},
		{"outside a push a flush sends at once", false, func(b *binding) {
			b.add(ev("a"))
			b.flush()
		}, []string{"_batch:1"}, 0},
		{"any other sink call sends the held batch first", true, func(b *binding) {
			b.add(ev("a"))
			b.flush()
			b.call("_comment", "c") // as onComment, onError and onClose do
			b.add(ev("b"))
			b.flush()
		}, []string{"_batch:1", "_comment:c"}, 1},
		{"a full batch is sent at once", true, func(b *binding) {
			b.add(ev(strings.Repeat("x", maxBatch)))
			b.add(ev("b"))
			b.flush()
		}, []string{"_batch:1"}, 1},
		{"nothing to flush holds nothing", true, func(b *binding) { b.flush() }, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls []string
			sink, release := recordingSink(&calls)
			defer release()
			b := &binding{sink: sink}
			other := &binding{}
			push = pushState{owner: other}
			if tc.inPush {
				push.owner = b
			}
			defer func() { push = pushState{} }()

			tc.run(b)
			assert.Equal(t, tc.wantCalls, calls)
			require.Equal(t, tc.wantHeld > 0, push.held)
			if tc.wantHeld == 0 {
				return
			}
			want := append([]byte(nil), b.buf...)
			b.handOver()
			assert.False(t, push.held)
			assert.Equal(t, 0, b.count, "the batch is the pusher's now")
			assert.Equal(t, uint32(tc.wantHeld), push.out[2], "count")
			assert.Equal(t, uint32(len(want)), push.out[1], "length")
			require.NotEmpty(t, push.keep, "the bytes are kept until the next push")
			assert.Equal(t, uint32(uintptr(unsafe.Pointer(unsafe.SliceData(push.keep)))), push.out[0], "address")
			assert.Equal(t, want, push.keep[:push.out[1]])
		})
	}
}
