package server

import (
	"runtime"
	"sync"
	"time"
)

// The writes of all sessions of a Server are made by a small, elastic pool of worker
// goroutines rather than by a goroutine per session (measured: a goroutine started per
// session and per batch costs 4 to 8 times as much per subscriber when a publish fans out
// to 1,000 or 10,000 sessions; see the bench README):
//
//   - A session with something to write (queued events, a heartbeat due, an end) is put on
//     the run queue once; one worker at a time runs it (Session.step, the one method the
//     scheduler knows), so its writes never interleave.
//   - Up to GOMAXPROCS workers run; a worker takes the next session, writes its batch and
//     moves on, so a publish to many subscribers costs no goroutine switch per subscriber.
//   - A worker blocked on a slow client's socket (at most the write timeout) must not hold
//     up the others. A worker in a write does not count as available, so a push wakes or
//     starts another (up to GOMAXPROCS). Beyond that, a session whose queue fills up to
//     half while it waits on the run queue boosts the pool: when no worker has taken a
//     session since the last boost, the workers are all blocked, and one more starts,
//     however many run. That happens before the waiting session's queue can overflow,
//     whatever the publish rate: a stalled client never costs a fast one its events. A
//     watchdog does the same every stallCheck for sessions that wait while no more events
//     arrive. A worker exits after idleTimeout without work, or at once when no session
//     is open, or when more than GOMAXPROCS workers are not in a write: one started
//     beside a blocked worker stays for the next push.
//   - A handler goroutine only waits for its session to end, so it never grows the deep
//     stack of the write path: an idle connection costs what net/http itself costs.
const (
	stallCheck  = 5 * time.Millisecond
	idleTimeout = 100 * time.Millisecond
	perWorker   = 64 // queued sessions that justify one more running worker
)

// scheduler is the run queue of sessions and its pool of workers.
type scheduler struct {
	max    int           // workers that run without a boost or the watchdog
	live   func() bool   // whether any session is open: when not, idle workers exit
	closed chan struct{} // closed when the Server shuts down: idle workers exit

	mu        sync.Mutex
	queue     []*Session
	head      int
	running   int
	idle      int
	busy      int    // workers running a session (in a write, possibly blocked)
	watching  bool   // the watchdog timer is armed: sessions wait on the run queue
	mark      uint64 // pops when the watchdog was armed or last checked
	boostMark uint64 // pops at the last boost
	watchdog  *time.Timer
	stopping  bool          // Shutdown waits for the workers to exit
	exited    chan struct{} // closed when stopping and running == 0
	isExited  bool

	pops   uint64        // sessions taken off the queue: workers that all block stop taking
	wakeup chan struct{} // tokens for idle workers; spurious ones are harmless
}

func newScheduler(live func() bool, closed chan struct{}) *scheduler {
	sc := &scheduler{max: max(1, runtime.GOMAXPROCS(0)), live: live, closed: closed, exited: make(chan struct{})}
	sc.wakeup = make(chan struct{}, sc.max)
	return sc
}

// push puts sessions on the run queue. Their callers marked them scheduled, so that each
// is on the queue at most once.
func (sc *scheduler) push(ss ...*Session) {
	if len(ss) == 0 {
		return
	}
	sc.mu.Lock()
	sc.queue = append(sc.queue, ss...)
	// One worker per perWorker queued sessions, up to max: a small fan-out is cheaper on
	// one worker than spread over several that each have to be woken. Workers in a write
	// may be blocked on a client: they do not count.
	pending := len(sc.queue) - sc.head
	want := min(sc.max, (pending+perWorker-1)/perWorker)
	need := want - (sc.running - sc.idle - sc.busy) // workers to wake or start
	spawn := sc.wakeOrSpawnLocked(need, sc.max)
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
	sc.start(spawn)
}

// wakeOrSpawnLocked wakes up to need idle workers and returns how many to start, keeping
// the workers at or below limit; it counts those as running.
func (sc *scheduler) wakeOrSpawnLocked(need, limit int) int {
	if need <= 0 {
		return 0
	}
	for range min(sc.idle, need) {
		select {
		case sc.wakeup <- struct{}{}:
		default:
		}
	}
	spawn := 0
	if need > sc.idle && sc.running < limit {
		spawn = min(limit-sc.running, need-sc.idle)
		sc.running += spawn
	}
	return spawn
}

func (sc *scheduler) start(n int) {
	for range n {
		go sc.work()
	}
}

// boost is called for a session whose queue filled up to half while it waits on the run
// queue: if no worker has taken a session since the last boost (or ever), every worker
// is blocked, and one more starts.
func (sc *scheduler) boost() {
	sc.mu.Lock()
	spawn := 0
	if sc.head < len(sc.queue) {
		if sc.idle > 0 {
			spawn = sc.wakeOrSpawnLocked(1, sc.running)
		} else if sc.pops == sc.boostMark {
			spawn = 1
			sc.running++
		}
		sc.boostMark = sc.pops
	}
	sc.mu.Unlock()
	sc.start(spawn)
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
	sc.start(spawn)
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
	stop := sc.closed
	ran := false
	for {
		sc.mu.Lock()
		if ran {
			sc.busy--
			ran = false
		}
		s := sc.pop()
		if s == nil {
			// Workers beyond max stay only while others are in a write (maybe
			// blocked): then the next push finds one available.
			if sc.running-sc.busy > sc.max || isClosed(sc.closed) || !sc.live() {
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
		sc.busy++
		ran = true
		sc.mu.Unlock()
		s.step()
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
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
