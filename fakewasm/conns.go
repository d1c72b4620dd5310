//go:build js && wasm

package main

import (
	"sync"
	"syscall/js"
	"time"

	"github.com/polysse/sse/internal/fake"
	"github.com/polysse/sse/internal/fake/script"
)

// connRef is a connection as JavaScript refers to it. Operations on it run in the order
// JavaScript made them, one at a time, in a goroutine (a session's Push may wait for
// queue space, Complete until the event is written). A handler's stream gets its ref
// before the server has started the stream: its operations wait for the connection.
// When the connection turns out to have a ref already (the test found it first), the
// handler's ref becomes an alias of that one, so that each connection has one queue.
type connRef struct {
	id  int
	eng *engine

	ready chan struct{} // closed once conn is known

	mu      sync.Mutex
	conn    *fake.Conn
	alias   *connRef
	ops     []func()
	running bool
}

// newRef returns a ref of eng for c (nil: a handler's stream, set later with resolve).
func (b *binding) newRef(eng *engine, c *fake.Conn) *connRef {
	r := &connRef{eng: eng, conn: c, ready: make(chan struct{})}
	if c != nil {
		close(r.ready)
	}
	b.add(func(id int) {
		r.id = id
		b.refs[id] = r
		if c != nil {
			eng.refOf[c] = r
		}
	})
	return r
}

// refFor returns the canonical ref of c, creating it.
func (b *binding) refFor(eng *engine, c *fake.Conn) *connRef {
	b.mu.Lock()
	r := eng.refOf[c]
	b.mu.Unlock()
	if r != nil {
		return r
	}
	return b.newRef(eng, c)
}

func (b *binding) ref(id int) *connRef {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.refs[id]
}

// resolve sets the connection of a handler's stream, making r an alias of the ref the
// connection has already, if any.
func (b *binding) resolve(r *connRef, c *fake.Conn) {
	b.mu.Lock()
	canon := r.eng.refOf[c]
	if canon == nil {
		r.eng.refOf[c] = r
	}
	b.mu.Unlock()
	r.mu.Lock()
	r.conn = c
	if canon != nil && canon != r {
		r.alias = canon
	}
	r.mu.Unlock()
	close(r.ready)
}

// target returns the ref whose queue r's operations go to.
func (r *connRef) target() *connRef {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.alias != nil {
		return r.alias
	}
	return r
}

// current returns the connection, nil while a handler's stream is starting.
func (r *connRef) current() *fake.Conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conn
}

// idle reports whether no operation is queued or running.
func (r *connRef) idle() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.running && len(r.ops) == 0
}

// enqueue queues op after the ref's earlier operations.
func (r *connRef) enqueue(op func()) {
	r.mu.Lock()
	r.ops = append(r.ops, op)
	start := !r.running
	r.running = true
	r.mu.Unlock()
	if start {
		go r.drain()
	}
}

// drain runs the queued operations; before the connection is known it waits for it,
// and hands them to the canonical ref when r turns out to be an alias.
func (r *connRef) drain() {
	<-r.ready
	for {
		r.mu.Lock()
		if len(r.ops) == 0 {
			r.running = false
			r.mu.Unlock()
			return
		}
		if r.alias != nil {
			ops, canon := r.ops, r.alias
			r.ops, r.running = nil, false
			r.mu.Unlock()
			for _, op := range ops {
				canon.enqueue(op)
			}
			return
		}
		op := r.ops[0]
		r.ops[0] = nil
		r.ops = r.ops[1:]
		r.mu.Unlock()
		op()
	}
}

// connOp queues an operation on a connection (see register). It fails at once when the
// connection has ended or the argument is invalid.
func (b *binding) connOp(args []js.Value) any {
	r := b.ref(arg(args, 0).Int())
	if r == nil {
		return errValue(&fake.EndedError{Reason: "reset"})
	}
	op := arg(args, 1).String()
	a := arg(args, 2)
	cb := arg(args, 3)
	run, err := connOperation(op, a)
	if err != nil {
		return errValue(err)
	}
	t := r.target()
	if c := t.current(); c != nil && c.Reason() != "" {
		return errValue(endedErr(c))
	}
	t.enqueue(func() {
		c := t.current()
		report(cb, nil, run(c))
	})
	return nil
}

// endedErr is the error of an operation on c once it has ended.
func endedErr(c *fake.Conn) error {
	return &fake.EndedError{ID: c.ID(), Route: c.Route(), Reason: c.Reason()}
}

// connOperation decodes an operation and its argument into what runs it.
func connOperation(op string, a js.Value) (func(*fake.Conn) error, error) {
	switch op {
	case "send":
		ev, err := eventOf(a.String())
		if err != nil {
			return nil, err
		}
		return func(c *fake.Conn) error { return c.Send(ev) }, nil
	case "comment":
		text := a.String()
		return func(c *fake.Conn) error { return c.Comment(text) }, nil
	case "raw":
		p := bytesOf(a)
		return func(c *fake.Conn) error { return c.Raw(p) }, nil
	case "end":
		return func(c *fake.Conn) error { return c.End() }, nil
	case "drop":
		return func(c *fake.Conn) error { return c.Drop() }, nil
	case "complete", "fail":
		data, err := dataOf(a)
		if err != nil {
			return nil, err
		}
		if op == "complete" {
			return func(c *fake.Conn) error { return c.Complete(data) }, nil
		}
		return func(c *fake.Conn) error { return c.Fail(data) }, nil
	case "sleep":
		d, err := millis(a)
		if err != nil {
			return nil, err
		}
		return func(c *fake.Conn) error { return c.Sleep(d) }, nil
	}
	return nil, invalid("no connection operation " + op)
}

// dataOf decodes the data of complete and fail (JSON: a string is the text itself, any
// other value its JSON text); undefined and null mean none.
func dataOf(a js.Value) (string, error) {
	if a.Type() != js.TypeString {
		return "", nil
	}
	d, err := script.DataJSON([]byte(a.String()))
	if err != nil {
		return "", err
	}
	return d.Literal(), nil
}

// millis reads a duration in milliseconds.
func millis(a js.Value) (time.Duration, error) {
	if a.Type() != js.TypeNumber || a.Float() < 0 || a.Float() != a.Float() {
		return 0, invalid("a duration must be a number of milliseconds, 0 or more")
	}
	return time.Duration(a.Float() * float64(time.Millisecond)), nil
}
