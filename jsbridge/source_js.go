package jsbridge

import (
	"errors"
	"io"
	"math"
	"syscall/js"
	"unsafe"

	"github.com/polysse/sse/internal/clock"
	"github.com/polysse/sse/internal/eventsource"
	"github.com/polysse/sse/internal/wire"
)

// maxBatch is the number of buffered event bytes after which the binding delivers a batch
// without waiting for the end of the current read.
const maxBatch = 256 << 10

// Flags of one event record in a batch.
const (
	recType = 1 << iota // the record carries a new event type
	recID               // the record carries a new last event ID
)

// Register installs the binding on api, the object the JavaScript loader receives:
// api.open(sink, url, options) starts a client and returns a handle with close and
// restart methods (restart(id) resumes from id). options.transport is the fetchHelpers
// object of web/src/core.js (see fetchTransport).
//
// The sink is the JavaScript EventSource object; the binding calls its methods _open,
// _batch, _comment (with options.comments), _error and _close (see web/src). Events travel
// in batches: the binding encodes them into one buffer and calls _batch(ptr, len, count)
// once per batch, which the sink decodes from the module's memory during the call, then
// dispatches; the batch of a chunk that JavaScript pushed (polysse_push) is handed back in
// the push's result instead, and the JavaScript that pushed calls _batch (see pushState). A record is one flag byte, then, when the flags say so, the event type and
// the last event ID, then the data, each as a little-endian uint32 length followed by
// UTF-8 bytes.
func Register(api js.Value) {
	api.Set("open", js.FuncOf(open))
}

type binding struct {
	sink   js.Value
	client *eventsource.Client
	handle js.Func

	restart js.Func // handle.restart

	buf    []byte
	count  int
	typ    string
	id     string
	primed bool
}

// open is api.open(sink, url, options). It must not block: it creates the client and
// starts it on a new goroutine.
func open(_ js.Value, args []js.Value) any {
	b := &binding{sink: arg(args, 0)}
	opts := arg(args, 2)
	o := b.options(opts)
	b.client = eventsource.NewClient(arg(args, 1).String(), o)
	b.handle = js.FuncOf(func(js.Value, []js.Value) any {
		b.client.Close() // never blocks
		return nil
	})
	b.restart = js.FuncOf(func(_ js.Value, args []js.Value) any {
		// restart(id): the page dropped the events after the one whose last event ID is id.
		if id := arg(args, 0); id.Type() == js.TypeString {
			b.client.RestartFrom(id.String()) // never blocks
		} else {
			b.client.Restart()
		}
		return nil
	})
	handle := js.Global().Get("Object").New()
	handle.Set("close", b.handle)
	handle.Set("restart", b.restart)
	go b.run()
	return handle
}

// run runs the client. A panic (a bug, since bad JavaScript values are turned into
// errors) ends this source, having closed it, and never the module and the other sources.
func (b *binding) run() {
	defer func() {
		if r := recover(); r != nil {
			msg := "polysse: internal error: "
			if e, ok := r.(error); ok {
				msg += e.Error()
			} else if s, ok := r.(string); ok {
				msg += s
			}
			js.Global().Get("console").Call("error", msg)
		}
	}()
	_ = b.client.Run(nil)
}

func (b *binding) options(opts js.Value) *eventsource.ClientOptions {
	o := &eventsource.ClientOptions{
		Method:           str(opts, "method"),
		WithCredentials:  opts.Get("withCredentials").Truthy(),
		LastEventID:      str(opts, "lastEventId"),
		LastEventIDQuery: str(opts, "lastEventIdQueryParameter"),
		CompleteEvent:    str(opts, "completeEvent"),
		FatalEvent:       str(opts, "fatalEvent"),
		MaxEventSize:     intOf(opts.Get("maxEventSize")),
		BorrowData:       true, // add copies each event into the batch at once
		Transport:        &fetchTransport{helpers: opts.Get("transport"), fetch: opts.Get("fetch"), owner: b},
		OnOpen:           b.onOpen,
		OnEvent:          b.add,
		OnDrain:          b.flush,
		OnError:          b.onError,
		OnClose:          b.onClose,
	}
	o.MaxLastEventIDLen = intOf(opts.Get("maxLastEventIdLength"))
	if opts.Get("comments").Truthy() {
		o.OnComment = b.onComment
	}
	if body := opts.Get("body"); body.Type() == js.TypeObject {
		o.Body = make([]byte, body.Get("byteLength").Int())
		js.CopyBytesToGo(o.Body, body)
	}
	if r := opts.Get("retry"); r.Type() == js.TypeObject {
		o.Retry = eventsource.RetryPolicy{
			Initial:     ms(r.Get("initial")),
			Max:         ms(r.Get("max")),
			Multiplier:  num(r.Get("multiplier")),
			Jitter:      num(r.Get("jitter")),
			Min:         ms(r.Get("min")),
			MaxAttempts: intOf(r.Get("maxAttempts")),
			ResetAfter:  ms(r.Get("resetAfter")),
		}
	}
	switch hb := opts.Get("heartbeatTimeout"); {
	case hb.Type() == js.TypeString && hb.String() == "auto":
		o.HeartbeatAuto = true
	case hb.Type() == js.TypeNumber:
		o.HeartbeatTimeout = ms(hb)
	}
	if h := opts.Get("headers"); isFunction(h) {
		o.HeaderFunc = func(ctx eventsource.Context) (eventsource.Header, error) { return callHeaders(ctx, h) }
	} else if h.Type() == js.TypeObject {
		o.Header, _ = headerPairs(h) // validated by the JavaScript side
	}
	if f := opts.Get("classify"); isFunction(f) {
		o.Classify = func(r *eventsource.Response) eventsource.Verdict {
			var v string
			if err := try(func() { v = f.Invoke(jsResponse(r)).String() }); err != nil {
				return eventsource.VerdictFatal
			}
			switch v {
			case "default":
				return eventsource.VerdictDefault
			case "open":
				return eventsource.VerdictOpen
			case "retry":
				return eventsource.VerdictRetry
			}
			return eventsource.VerdictFatal
		}
	}
	return o
}

// callHeaders calls the normalised headers function, which returns a Promise of an array
// of [name, value] pairs.
func callHeaders(ctx eventsource.Context, f js.Value) (eventsource.Header, error) {
	var p js.Value
	if err := try(func() { p = f.Invoke() }); err != nil {
		return nil, err
	}
	pairs, err := await(ctx, p)
	if err != nil {
		return nil, err
	}
	return headerPairs(pairs)
}

// headerPairs converts an array of [name, value] string pairs.
func headerPairs(pairs js.Value) (eventsource.Header, error) {
	h := eventsource.Header{}
	err := try(func() {
		for i, n := 0, pairs.Length(); i < n; i++ {
			kv := pairs.Index(i)
			h.Add(kv.Index(0).String(), kv.Index(1).String())
		}
	})
	return h, err
}

func str(o js.Value, key string) string {
	if v := o.Get(key); v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

func num(v js.Value) float64 {
	if v.Type() == js.TypeNumber {
		if f := v.Float(); !math.IsNaN(f) {
			return f
		}
	}
	return 0
}

func intOf(v js.Value) int { return int(min(num(v), math.MaxInt32)) }

func ms(v js.Value) clock.Duration {
	return clock.Duration(min(num(v), float64(math.MaxInt64/int64(clock.Millisecond)))) * clock.Millisecond
}

// add appends an event record to the batch.
func (b *binding) add(ev wire.Event) {
	flags := byte(0)
	if !b.primed || ev.Type != b.typ {
		flags |= recType
		b.typ = ev.Type
	}
	if !b.primed || ev.ID != b.id {
		flags |= recID
		b.id = ev.ID
	}
	b.primed = true
	b.buf = append(b.buf, flags)
	if flags&recType != 0 {
		b.buf = appendField(b.buf, ev.Type)
	}
	if flags&recID != 0 {
		b.buf = appendField(b.buf, ev.ID)
	}
	b.buf = appendField(b.buf, ev.Data)
	b.count++
	if len(b.buf) >= maxBatch {
		b.flush()
	}
}

func appendField(dst []byte, s string) []byte {
	n := uint32(len(s))
	dst = append(dst, byte(n), byte(n>>8), byte(n>>16), byte(n>>24)) // little endian
	return append(dst, s...)
}

// flush hands the batch to the sink. Inside a push (bodyPush), the batch is held and
// handed over when the push returns: the JavaScript that pushed the chunk calls _batch
// itself (see pushState), which spares each chunk a call from Go into JavaScript. Else,
// or when the batch is full, it is sent at once.
func (b *binding) flush() {
	if b.count == 0 {
		return
	}
	if push.owner == b && len(b.buf) < maxBatch {
		push.held = true
		return
	}
	b.send()
}

// send calls _batch(ptr, len, count), which reads the batch from the module's memory
// during the call.
func (b *binding) send() {
	if push.owner == b {
		push.held = false
	}
	if b.count == 0 {
		return
	}
	b.callSink("_batch", uintptr(unsafe.Pointer(unsafe.SliceData(b.buf))), len(b.buf), b.count)
	b.reset()
}

// reset empties the batch once the sink has it.
func (b *binding) reset() {
	b.count = 0
	b.buf = b.buf[:0]
	if cap(b.buf) > 4*maxBatch {
		b.buf = nil // grown for one large event: let it go
	}
}

// handOver ends the push that held b's batch: it writes the batch's address, length and
// count into push.out for the JavaScript that pushed, and empties it. The bytes stay where
// they are (push.keep holds them) until the next push: nothing in Go runs before that
// JavaScript has decoded them.
func (b *binding) handOver() {
	push.held = false
	push.keep = b.buf
	push.out = [3]uint32{uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b.buf)))), uint32(len(b.buf)), uint32(b.count)}
	b.reset()
}

// call calls a sink method, after the batch held for the end of a push (the sink must see
// the events before whatever follows them); an exception there is reported, never fatal
// to the module.
func (b *binding) call(method string, args ...any) {
	if push.held && push.owner == b {
		b.send()
	}
	b.callSink(method, args...)
}

func (b *binding) callSink(method string, args ...any) {
	if err := try(func() { b.sink.Call(method, args...) }); err != nil {
		js.Global().Get("console").Call("error", "polysse: "+method+": "+err.Error())
	}
}

func (b *binding) onOpen(r *eventsource.Response) {
	b.primed = false // a new connection: send the type and ID again
	b.call("_open", r.StatusCode, r.StatusText, r.URL)
}

// onComment hands a comment line to the sink, after the events before it.
func (b *binding) onComment(text string) {
	b.send()
	b.call("_comment", text, b.client.LastEventID())
}

func (b *binding) onError(e *eventsource.ErrorInfo) {
	b.send()
	msg := userMessage(e.Err)
	closing := b.client.ReadyState() == eventsource.StateClosed
	b.call("_error", e.Status, e.StatusText, e.Attempt, float64(e.RetryIn)/float64(clock.Millisecond), closing, msg)
}

func (b *binding) onClose(ci *eventsource.CloseInfo) {
	b.send()
	msg := userMessage(ci.Err)
	b.call("_close", string(ci.Reason), ci.Fatal, ci.Status, ci.StatusText, ci.Local, ci.Data, msg)
	b.handle.Release()
	b.restart.Release()
}

// userMessage is the text of err for the message of the error and close events: the words
// of users, not of Go. The client's own sentinels are worded here; the transport's errors
// are worded already (see jsError).
func userMessage(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was lost before the response ended"
	case errors.Is(err, io.EOF):
		return "the server ended the response"
	case errors.Is(err, eventsource.ErrHeartbeatTimeout):
		return "no data from the server within the heartbeat timeout"
	case errors.Is(err, wire.ErrEventTooLarge):
		return "an event was larger than maxEventSize"
	}
	return err.Error()
}
