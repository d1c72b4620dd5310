// The fake-timer flavours the polysse clock must follow. Each installs its fake timers and
// returns { advance(ms), clearAll(), uninstall() }; advance uses the async tick variant,
// which lets promise jobs (stream reads, Go's callbacks) run between timers.
import FakeTimers from '@sinonjs/fake-timers';
import { vi } from 'vitest';

function vitest() {
  return {
    advance: (ms) => vi.advanceTimersByTimeAsync(ms),
    clearAll: () => vi.clearAllTimers(),
    uninstall: () => vi.useRealTimers(),
  };
}

function sinon(config) {
  const clock = FakeTimers.withGlobal(globalThis).install(config);
  return {
    clock,
    advance: (ms) => clock.tickAsync(ms),
    clearAll: () => clock.reset(), // what jest.clearAllTimers() does
    uninstall: () => clock.uninstall(),
  };
}

export const flavours = {
  // Vitest's default: every timer API but nextTick and queueMicrotask, now = Date.now().
  vitest() {
    vi.useFakeTimers();
    return vitest();
  },
  // Only setTimeout: Go's clock (performance.now, Date) is not faked at all.
  'vitest setTimeout only'() {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    return vitest();
  },
  // @sinonjs/fake-timers' own default: the clock starts at the epoch (Date.now() === 0,
  // performance.now() === 0).
  'sinon epoch 0'() {
    return sinon(undefined);
  },
  // What Jest's modern fake timers install: every API the library knows, queueMicrotask and
  // process.nextTick included, now = Date.now(), native timers cleared through it.
  'jest modern'() {
    return sinon({
      now: Date.now(),
      toFake: Object.keys(FakeTimers.timers),
      shouldClearNativeTimers: true,
      loopLimit: 100_000,
    });
  },
};
