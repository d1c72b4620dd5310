package eventsource

import (
	"errors"
	"sync"
	"sync/atomic"
)

// Context is the part of context.Context that the client uses: every context.Context is a
// Context, so callers pass theirs unchanged. The package does not import context, which
// would add about 40 KB (gzip) to the js/wasm build.
//
// Natively, the Context a Client gives to its Transport and HeaderFunc also implements
// context.Context (Deadline and Value delegate to the caller's context), so a native
// transport can use it directly. Under js/wasm it has no Deadline method, whose
// time.Time would link package time into the polyfill: there only Value delegates.
// Its Err is the cause (ErrClosed, ErrHeartbeatTimeout or
// the caller's context's error), not context.Canceled.
type Context interface {
	Done() <-chan struct{}
	Err() error
}

// ErrClosed is the error of a Context that the client cancelled: its Close was called, or
// an attempt ended.
var ErrClosed = errors.New("sse: client closed")

// scope is a cancellable Context with a cause, linked to a parent: cancelling the parent
// cancels it. It is the package's small stand-in for context.WithCancelCause.
type scope struct {
	parent Context
	done   chan struct{}
	// ended is set just before done is closed: the client checks it once per event, where
	// a receive from done would cost a channel operation.
	ended atomic.Bool

	mu       sync.Mutex
	err      error
	children map[*scope]struct{}
	unlink   func()
}

// newScope returns a scope whose parent is parent (which may be nil). A parent that is not
// a scope is watched by one goroutine, which ends when either side is done.
func newScope(parent Context) *scope {
	s := &scope{parent: parent, done: make(chan struct{})}
	switch p := parent.(type) {
	case nil:
	case *scope:
		// unlink is set before s is registered: a concurrent cancel of p may cancel s as
		// soon as p.mu is released.
		s.unlink = func() {
			p.mu.Lock()
			delete(p.children, s)
			p.mu.Unlock()
		}
		p.mu.Lock()
		if p.err != nil {
			p.mu.Unlock()
			s.cancel(p.err)
			return s
		}
		if p.children == nil {
			p.children = make(map[*scope]struct{})
		}
		p.children[s] = struct{}{}
		p.mu.Unlock()
	default:
		if err := p.Err(); err != nil {
			s.cancel(err)
			return s
		}
		if d := p.Done(); d != nil {
			go func() {
				select {
				case <-d:
					s.cancel(p.Err())
				case <-s.done:
				}
			}()
		}
	}
	return s
}

// cancel ends s and its children with err (ErrClosed when nil); only the first call counts.
func (s *scope) cancel(err error) {
	if err == nil {
		err = ErrClosed
	}
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return
	}
	s.err = err
	children := s.children
	s.children = nil
	s.ended.Store(true)
	close(s.done)
	s.mu.Unlock()
	for c := range children {
		c.cancel(err)
	}
	if s.unlink != nil {
		s.unlink()
	}
}

// Done implements Context.
func (s *scope) Done() <-chan struct{} { return s.done }

// Err implements Context: nil until cancelled, then the cause.
func (s *scope) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Value implements context.Context by delegating to the parent.
func (s *scope) Value(key any) any {
	if p, ok := s.parent.(interface{ Value(any) any }); ok {
		return p.Value(key)
	}
	return nil
}
