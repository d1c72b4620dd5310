//go:build !js

package server

import (
	"runtime"
	"sync"
	"time"
)

// The writes of all sessions of a Server are made by a small, elastic pool of worker
// goroutines rather than by each session's handler goroutine:
//
//   - A session with something to write (queued events, a heartbeat due, an end) is put on
//     the run queue once; one worker at a time runs it, so its writes never interleave.
//   - Up to GOMAXPROCS workers run; a worker takes the next session, writes its batch and
//     moves on, so a publish to many subscribers costs no goroutine switch per subscriber.
//   - A worker blocked on a slow client's socket (at most the write timeout) must not hold
//     up the others: when work waits and no worker has taken any for stallCheck, a
//     watchdog starts more workers. Workers above GOMAXPROCS exit as soon as they are
//     idle, the others after idleTimeout, or at once when no session is open.
//   - A handler goroutine only waits for its session to end, so it never grows the deep
//     stack of the write path: an idle connection costs what net/http itself costs.
const (
	stallCheck  = 5 * time.Millisecond
	idleTimeout = 100 * time.Millisecond
	perWorker   = 64 // queued sessions that justify one more running worker
)

// scheduler is the run queue of sessions and its pool of workers.
type scheduler struct {
	srv *Server
	max int // workers that run without the watchdog's say-so

	mu       sync.Mutex
	queue    []*Session
	head     int
	running  int
	idle     int
	watching bool   // the watchdog timer is armed: sessions wait on the run queue
	mark     uint64 // pops when the watchdog was armed
	watchdog *time.Timer
	stopping bool          // Shutdown waits for the workers to exit
	exited   chan struct{} // closed when stopping and running == 0
	isExited bool

	pops   uint64        // sessions taken off the queue: workers that all block stop taking
	wakeup chan struct{} // tokens for idle workers; spurious ones are harmless
}

func (sc *scheduler) init(srv *Server) {
	sc.srv = srv
	sc.max = max(1, runtime.GOMAXPROCS(0))
	sc.wakeup = make(chan struct{}, sc.max)
	sc.exited = make(chan struct{})
}

// push puts sessions on the run queue. Each must have been marked scheduled by its caller,
// so that it is on the queue at most once.
func (sc *scheduler) push(ss ...*Session) {
	if len(ss) == 0 {
		return
	}
	sc.mu.Lock()
	sc.queue = append(sc.queue, ss...)
	// One worker per perWorker queued sessions, up to max: a small fan-out is cheaper on
	// one worker than spread over several that each have to be woken.
	pending := len(sc.queue) - sc.head
	want := min(sc.max, (pending+perWorker-1)/perWorker)
	need := want - (sc.running - sc.idle) // workers to wake or start
	for range min(sc.idle, need) {
		select {
		case sc.wakeup <- struct{}{}:
		default:
		}
	}
	spawn := 0
	if need > sc.idle && sc.running < sc.max {
		spawn = min(sc.max-sc.running, need-sc.idle)
		sc.running += spawn
	}
	if !sc.watching {
		sc.watching = true
		sc.mark = sc.pops
		if sc.watchdog == nil {
			sc.watchdog = time.AfterFunc(stallCheck, sc.check)
		} else {
			sc.watchdog.Reset(stallCheck)
		}
	}
	sc.mu.Unlock()
	for range spawn {
		go sc.work()
	}
}

// check runs every stallCheck while sessions wait on the run queue: if no worker took a
// session off the queue since the last check, the workers are blocked on slow clients,
// and more start. (Workers started because a batch was merely slow exit once idle.)
func (sc *scheduler) check() {
	sc.mu.Lock()
	if sc.head == len(sc.queue) {
		sc.watching = false
		sc.mu.Unlock()
		return
	}
	spawn := 0
	if p := sc.pops; p == sc.mark {
		// Double the workers (at most one per waiting session): many slow clients ahead
		// of a fast one delay it by a few checks, not by one check per slow client.
		spawn = max(1, min(len(sc.queue)-sc.head, sc.running))
		sc.running += spawn
	} else {
		sc.mark = p
	}
	sc.watchdog.Reset(stallCheck)
	sc.mu.Unlock()
	for range spawn {
		go sc.work()
	}
}

// wakeIdle wakes the idle workers, so that they exit if there is nothing left to do.
func (sc *scheduler) wakeIdle() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for range sc.idle {
		select {
		case sc.wakeup <- struct{}{}:
		default:
		}
	}
}

// pop takes the next session off the queue, or returns nil.
func (sc *scheduler) pop() *Session {
	if sc.head == len(sc.queue) {
		return nil
	}
	s := sc.queue[sc.head]
	sc.queue[sc.head] = nil
	sc.head++
	sc.pops++
	if sc.head == len(sc.queue) {
		sc.queue, sc.head = sc.queue[:0], 0
	} else if sc.head >= 64 && sc.head >= len(sc.queue)/2 {
		// A queue that never drains (a steady backlog) would otherwise grow for ever.
		n := copy(sc.queue, sc.queue[sc.head:])
		clear(sc.queue[n:])
		sc.queue, sc.head = sc.queue[:n], 0
	}
	return s
}

// work is a worker: it runs queued sessions until there are none for a while.
func (sc *scheduler) work() {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	stop := sc.srv.shutdownCtx.Done()
	for {
		sc.mu.Lock()
		s := sc.pop()
		if s == nil {
			if sc.running > sc.max || sc.srv.shutdownCtx.Err() != nil || sc.srv.Sessions() == 0 {
				sc.exitLocked()
				sc.mu.Unlock()
				return
			}
			sc.idle++
			sc.mu.Unlock()
			if timer == nil {
				timer = time.NewTimer(idleTimeout)
			} else {
				timer.Reset(idleTimeout)
			}
			timedOut := false
			select {
			case <-sc.wakeup:
			case <-timer.C:
				timedOut = true
			case <-stop:
				stop = nil // from now on, exit when idle
			}
			sc.mu.Lock()
			sc.idle--
			if timedOut && sc.head == len(sc.queue) {
				sc.exitLocked()
				sc.mu.Unlock()
				return
			}
			sc.mu.Unlock()
			continue
		}
		sc.mu.Unlock()
		s.step()
	}
}

func (sc *scheduler) exitLocked() {
	sc.running--
	sc.closeExitedLocked()
}

// closeExitedLocked closes exited, once, when stopping and no worker runs.
func (sc *scheduler) closeExitedLocked() {
	if sc.stopping && sc.running == 0 && !sc.isExited {
		sc.isExited = true
		close(sc.exited)
	}
}

// stopped returns a channel closed once every worker has exited; call it when no session
// is left, so that no more work can arrive.
func (sc *scheduler) stopped() <-chan struct{} {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.stopping = true
	sc.closeExitedLocked()
	return sc.exited
}
