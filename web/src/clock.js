// polysse clock (shared by every loader; scripts/wasm.d/10-web.sh puts it before core.js).
//
// useTestClock(go) gives a Go WebAssembly instance one clock that follows the fake timers of
// a test suite. It replaces four imports of wasm_exec.js's Go class on go.importObject, before
// the module is instantiated:
//
//   runtime.nanotime1     Go's monotonic clock
//   runtime.walltime      Go's wall clock
//   runtime.scheduleTimeoutEvent, runtime.clearTimeoutEvent
//                         the one JS timer by which the Go scheduler sleeps until its next
//                         timer is due
//
// The clock follows the test's clock when one is installed: @sinonjs/fake-timers, and hence
// Vitest's vi.useFakeTimers() and Jest's modern fake timers, hang the Clock on every function
// they fake (setTimeout.clock), even when only setTimeout is faked. Without one it reads
// performance.now() and Date.now(). Go's runtime needs of it what wasm_exec.js's own clock
// cannot give under fake timers:
//   - the monotonic clock is never 0 (Go aborts with "nanotime returning zero" under Sinon's
//     default clock at the epoch) and never goes backwards: when fake timers are installed or
//     uninstalled, or when the source steps back (a fake clock's reset()), it continues from
//     its last reading (clamp and rebase). It moves exactly as the test's clock ticks, so a
//     Go timer fires when the test advances its clock that far.
//   - the wall clock is the test's: clock.now when fake timers are installed (Date.now() of
//     a faked Date), Date.now() otherwise. It may go backwards (vi.setSystemTime).
//   - the scheduler's timeout is armed with the setTimeout the test has at that moment and
//     cleared with the matching clearTimeout (with only setTimeout faked, the global
//     clearTimeout is the real one). A timeout armed on another clock than the current one
//     moves to the current clock, keeping the time it had left: at once when Go runs next,
//     and, while a timeout waits on fake timers, within 50 ms of real time when they are
//     uninstalled or cleared under it (vi.useRealTimers(), vi.clearAllTimers()), checked by
//     one real timer that exists only then and does not keep Node alive (nor does a timeout
//     moved from fake timers to the real clock: it may be one Go no longer needs). Fake timers
//     installed while a timeout waits on the real clock take it over when Go runs next
//     (a chunk arrives, a source opens or closes); nothing is polled on the real clock.
// It uses no queueMicrotask, process.nextTick or setImmediate, which Jest fakes too.
//
// It returns { keepAlive, hooks }. keepAlive(v) is how polysse says whether a source is
// running: the real timers armed for Go keep Node's event loop alive only while one is
// (Go's runtime leaves the JS timer of a Go timer it stopped armed until it fires, and a
// closed source must leave nothing that holds Node up). hooks is what the module's own
// timers use (Go's internal/clock, given it through __polysseReady: the backoff and the
// heartbeat watchdog, which wait without package time): setTimer(ms, fn) returns an id,
// clearTimer(id) clears it, now() is the wall clock in ms. Their timers are armed, moved
// between clocks, watched and held exactly as the scheduler's timeout is, and call fn
// when due. keepAlive is a no-op and hooks is undefined when the scheduling imports are
// left as they are.
//
// wasm_exec.js is used as the Go toolchain ships it; this relies on its import names and on
// three members of its Go class: mem, _nextCallbackTimeoutID and _resume (checked with Go
// 1.26). When the scheduling members are missing, the scheduling imports are left as they are.
function useTestClock(go) {
  const imports = go && go.importObject && go.importObject.gojs;
  const noop = () => {};
  if (!imports || typeof imports['runtime.nanotime1'] !== 'function') return { keepAlive: noop };

  // The monotonic clock in ms: source() + offset, with offset chosen when the source
  // changes so that readings continue from the last one.
  let src; // the Sinon Clock in use, null for the real clock; undefined before the first read
  let offset = 0;
  let last = 0;
  const origin = 1000; // the first reading: 1 s, never 0

  const fakeClock = () => {
    const st = globalThis.setTimeout;
    const c = st && st.clock;
    return c && typeof c.now === 'number' && typeof c.setTimeout === 'function' ? c : null;
  };
  // A Sinon clock's monotonic time is its performance.now() (clock.now minus what
  // setSystemTime added); clock.now when it has none.
  const fakeMono = (c) => (c.performance && typeof c.performance.now === 'function' ? c.performance.now() : c.now);
  const realMono = () => performance.now();

  // monotonic returns the clock in ms, moving timeouts to a new source first.
  const monotonic = () => {
    const c = fakeClock();
    const raw = c ? fakeMono(c) : realMono();
    if (c !== src) {
      offset = (src === undefined ? origin : last) - raw;
      src = c;
      if (timeouts.size) migrate(raw + offset);
    }
    const t = raw + offset;
    if (t > last) last = t;
    else if (t < last) offset += last - t; // the source stepped back (clock.reset()): go on from here
    return last;
  };
  const wallMs = () => {
    const c = fakeClock();
    return c ? c.now : Date.now();
  };

  // Timeouts armed for the scheduler (numeric ids) and for the module's own timers (ids
  // "t1", "t2", ..., with fn): id -> { clock (its Sinon Clock or null), handle, due, fn }.
  const timeouts = new Map();
  const realClearTimeout = (h) => {
    const c = globalThis.clearTimeout;
    const real = c && c.clock ? c.clock._clearTimeout : c;
    if (typeof real === 'function') real(h);
  };
  const disarm = (t) => {
    if (t.clock) t.clock.clearTimeout(t.handle);
    else realClearTimeout(t.handle);
  };
  // arm sets t's JS timer on the current clock. A timeout moved off fake timers (weak) does
  // not keep Node alive: it may be one Go no longer needs, and under fake timers it did not;
  // nor does any while no source runs (see keepAlive).
  let alive = false; // no source runs yet
  const hold = (t) => {
    const h = t.handle;
    if (t.clock || !h || typeof h.unref !== 'function' || typeof h.ref !== 'function') return;
    if (alive && !t.weak) h.ref();
    else h.unref();
  };
  const arm = (id, t, ms, weak) => {
    t.clock = fakeClock();
    t.weak = Boolean(weak);
    t.handle = globalThis.setTimeout(() => fire(id, t), Math.max(0, ms));
    if (t.weak || !alive) hold(t);
  };
  const fire = (id, t) => {
    if (timeouts.get(id) !== t) return;
    if (go.exited) { timeouts.delete(id); return; }
    if (t.fn) { timeouts.delete(id); t.fn(); return; } // a module timer: fn enters Go
    go._resume(); // Go clears the timeout it woke for (runtime.clearTimeoutEvent)
    if (timeouts.get(id) === t && !go.exited) {
      // As wasm_exec.js does: Go did not take the wake-up; give it another.
      console.warn('scheduleTimeoutEvent: missed timeout event');
      go._resume();
    }
  };
  const migrate = (now) => {
    const current = fakeClock();
    for (const [id, t] of timeouts) {
      if (t.clock === current) continue;
      const weak = t.clock !== null;
      disarm(t);
      arm(id, t, t.due - now, weak);
    }
    watch();
  };

  // The watch: while a timeout waits on fake timers, a real timer checks every 50 ms that
  // they are still installed and still hold it.
  let watching = false;
  const holds = (t) => {
    const timers = t.clock.timers;
    const id = Number(t.handle);
    if (timers instanceof Map) return timers.has(id);
    return !timers || Object.prototype.hasOwnProperty.call(timers, id);
  };
  const watch = () => {
    if (watching) return;
    let clock = null;
    for (const t of timeouts.values()) if (t.clock) { clock = t.clock; break; }
    const realSetTimeout = clock && clock._setTimeout;
    if (typeof realSetTimeout !== 'function') return;
    watching = true;
    const h = realSetTimeout(() => {
      watching = false;
      const now = monotonic(); // moves timeouts to the current clock when it changed
      for (const [id, t] of timeouts) {
        if (t.clock && !holds(t)) arm(id, t, t.due - now, true); // cleared under us
      }
      watch();
    }, 50);
    if (h && typeof h.unref === 'function') h.unref();
  };

  const getInt64 = (addr) => go.mem.getUint32(addr, true) + go.mem.getInt32(addr + 4, true) * 4294967296;
  const setInt64 = (addr, v) => {
    go.mem.setUint32(addr, v, true);
    go.mem.setUint32(addr + 4, Math.floor(v / 4294967296), true);
  };

  // func nanotime1() int64
  imports['runtime.nanotime1'] = (sp) => {
    setInt64((sp >>> 0) + 8, Math.round(monotonic() * 1e6));
  };
  // func walltime() (sec int64, nsec int32)
  imports['runtime.walltime'] = (sp) => {
    sp >>>= 0;
    const ms = wallMs();
    const sec = Math.floor(ms / 1000);
    setInt64(sp + 8, sec);
    go.mem.setInt32(sp + 16, Math.floor((ms - sec * 1000) * 1e6), true);
  };

  if (typeof imports['runtime.scheduleTimeoutEvent'] !== 'function' || typeof go._resume !== 'function' ||
      typeof go._nextCallbackTimeoutID !== 'number') return { keepAlive: noop };
  // func scheduleTimeoutEvent(delay int64) int32
  imports['runtime.scheduleTimeoutEvent'] = (sp) => {
    sp >>>= 0;
    const ms = getInt64(sp + 8);
    const id = go._nextCallbackTimeoutID++;
    const t = { clock: null, handle: undefined, due: monotonic() + ms };
    timeouts.set(id, t);
    arm(id, t, ms);
    if (t.clock) watch();
    go.mem.setInt32(sp + 16, id, true);
  };
  // func clearTimeoutEvent(id int32)
  imports['runtime.clearTimeoutEvent'] = (sp) => {
    const id = go.mem.getInt32((sp >>> 0) + 8, true);
    const t = timeouts.get(id);
    if (!t) return;
    timeouts.delete(id);
    disarm(t);
  };

  // The module's own timers (see hooks above).
  let nextTimer = 0;
  const setTimer = (ms, fn) => {
    const id = `t${++nextTimer}`;
    const t = { clock: null, handle: undefined, due: monotonic() + ms, fn };
    timeouts.set(id, t);
    arm(id, t, ms);
    if (t.clock) watch();
    return id;
  };
  const clearTimer = (id) => {
    const t = timeouts.get(id);
    if (!t) return;
    timeouts.delete(id);
    disarm(t);
  };

  const keepAlive = (v) => {
    if (alive === Boolean(v)) return;
    alive = Boolean(v);
    for (const t of timeouts.values()) hold(t);
  };
  return { keepAlive, hooks: { setTimer, clearTimer, now: wallMs } };
}
