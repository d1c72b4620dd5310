// web/src/clock.js on its own: the four Go imports it replaces, driven as Go's runtime calls
// them, against a stand-in for wasm_exec.js's Go object.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as realSleep } from 'node:timers/promises';
import FakeTimers from '@sinonjs/fake-timers';
import { afterEach, describe, expect, test, vi } from 'vitest';

// (A path, not a URL: in the DOM environments URL is the DOM's, which node:fs refuses.)
const clockSource = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../src/clock.js'), 'utf8');
const useTestClock = new Function(`${clockSource}\nreturn useTestClock;`)();

// fakeGo returns a stand-in Go object with the clock installed, and the calls Go makes. Like
// Go's scheduler it has one idle timeout at a time, and clears it when a timeout wakes it.
function fakeGo() {
  const mem = new DataView(new ArrayBuffer(32));
  const original = () => {};
  let current = 0;
  const go = {
    mem,
    exited: false,
    resumes: 0,
    _nextCallbackTimeoutID: 1,
    _resume() {
      go.resumes++;
      clear(current);
    },
    importObject: {
      gojs: {
        'runtime.nanotime1': original,
        'runtime.walltime': original,
        'runtime.scheduleTimeoutEvent': original,
        'runtime.clearTimeoutEvent': original,
      },
    },
  };
  useTestClock(go);
  const gojs = go.importObject.gojs;
  const int64 = (addr) => mem.getUint32(addr, true) + mem.getInt32(addr + 4, true) * 2 ** 32;
  function clear(id) {
    mem.setInt32(8, id, true);
    gojs['runtime.clearTimeoutEvent'](0);
  }
  return {
    go,
    replaced: Object.values(gojs).every((f) => f !== original),
    nanotime() { gojs['runtime.nanotime1'](0); return int64(8); },
    walltimeMs() { gojs['runtime.walltime'](0); return int64(8) * 1000 + mem.getInt32(16, true) / 1e6; },
    schedule(ms) {
      mem.setUint32(8, ms, true);
      mem.setUint32(12, 0, true);
      gojs['runtime.scheduleTimeoutEvent'](0);
      current = mem.getInt32(16, true);
      return current;
    },
    clear,
  };
}

const sinon = (config) => FakeTimers.withGlobal(globalThis).install(config);
let clocks = [];
afterEach(() => {
  for (const c of clocks.reverse()) c.uninstall();
  clocks = [];
  vi.useRealTimers();
});
const install = (config) => { const c = sinon(config); clocks.push(c); return c; };

describe('the monotonic clock', () => {
  test('is never 0, even under Sinon\'s default clock at the epoch', () => {
    const clock = install();
    expect(Date.now()).toBe(0);
    const g = fakeGo();
    expect(g.nanotime()).toBe(1e9);
    clock.tick(5);
    expect(g.nanotime()).toBe(1.005e9);
  });

  test('moves as the fake clock ticks and continues through install, setSystemTime, reset and uninstall', () => {
    const g = fakeGo();
    const readings = [g.nanotime()];
    const read = () => { const t = g.nanotime(); readings.push(t); return t; };
    let clock = install({ now: 0 }); // installed: a step back to the epoch
    const t1 = read();
    clock.tick(1000);
    expect(read() - t1).toBe(1e9);
    clock.setSystemTime(Date.now() + 86_400_000); // the wall clock jumps: the monotonic one does not
    expect(read() - t1).toBe(1e9);
    clock.setSystemTime(0);
    expect(read() - t1).toBe(1e9);
    clock.tick(250);
    expect(read() - t1).toBe(1.25e9);
    clock.reset(); // back to its start: held, then moving again
    const t2 = read();
    expect(t2 - t1).toBe(1.25e9);
    clock.tick(500);
    expect(read() - t2).toBe(5e8);
    clock.uninstall();
    clocks = [];
    read(); // the real clock again
    clock = install({ now: Date.now() + 3_600_000 }); // an hour ahead: no jump either
    const t3 = read();
    clock.tick(10);
    expect(read() - t3).toBe(1e7);
    for (let i = 1; i < readings.length; i++) expect(readings[i]).toBeGreaterThanOrEqual(readings[i - 1]);
    expect(readings.at(-1) - readings[0]).toBeLessThan(60e9); // no jump by the hour or the day
  });

  test('follows the clock of a faked setTimeout when nothing else is faked', () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const g = fakeGo();
    const t0 = g.nanotime();
    vi.advanceTimersByTime(30_000);
    expect(g.nanotime() - t0).toBe(30e9);
  });
});

describe('the wall clock', () => {
  test('is the test\'s: clock.now under fake timers, Date.now() without', () => {
    const g = fakeGo();
    expect(Math.abs(g.walltimeMs() - Date.now())).toBeLessThan(1000);
    const clock = install({ now: 1e12 });
    expect(g.walltimeMs()).toBe(1e12);
    clock.tick(1500);
    expect(g.walltimeMs()).toBe(1e12 + 1500);
    clock.setSystemTime(0); // the wall clock may go back
    expect(g.walltimeMs()).toBe(0);
  });
});

describe('the scheduler\'s timeout', () => {
  test('is armed on the faked setTimeout and cleared through its clock, though clearTimeout is real', () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const g = fakeGo();
    const id = g.schedule(1000);
    expect(vi.getTimerCount()).toBe(1);
    g.clear(id);
    expect(vi.getTimerCount()).toBe(0);
    g.schedule(1000);
    vi.advanceTimersByTime(999);
    expect(g.go.resumes).toBe(0);
    vi.advanceTimersByTime(1);
    expect(g.go.resumes).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('armed on the real clock, moves to fake timers when Go next runs, with the time it had left', () => {
    const g = fakeGo();
    g.schedule(60_000);
    const clock = install({ now: 0 });
    g.nanotime(); // Go runs
    expect(clock.countTimers()).toBe(1);
    clock.tick(59_000);
    expect(g.go.resumes).toBe(0);
    clock.tick(1000);
    expect(g.go.resumes).toBe(1);
  });

  test('armed on fake timers, moves to the real clock when they are uninstalled, and does not hold Node', async () => {
    const clock = install({ now: 0 });
    const g = fakeGo();
    g.schedule(100);
    clock.uninstall();
    clocks = [];
    const held = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = held();
    await realSleep(80); // the watch (50 ms) moves it
    expect(g.go.resumes).toBe(0);
    expect(held()).toBeLessThanOrEqual(before);
    await realSleep(200);
    expect(g.go.resumes).toBe(1);
  });

  test('re-armed when fake timers are cleared under it', async () => {
    const clock = install({ now: 0 });
    const g = fakeGo();
    g.schedule(5000);
    clock.reset(); // jest.clearAllTimers(): Go's timeout is gone with the others
    expect(clock.countTimers()).toBe(0);
    await realSleep(120);
    expect(clock.countTimers()).toBe(1);
    clock.tick(5000);
    expect(g.go.resumes).toBe(1);
  });
});

test('without the members it relies on, wasm_exec.js\'s scheduling imports stay', () => {
  const mem = new DataView(new ArrayBuffer(32));
  const original = () => {};
  const gojs = {
    'runtime.nanotime1': original,
    'runtime.walltime': original,
    'runtime.scheduleTimeoutEvent': original,
    'runtime.clearTimeoutEvent': original,
  };
  useTestClock({ mem, importObject: { gojs } }); // no _resume, no _nextCallbackTimeoutID
  expect(gojs['runtime.scheduleTimeoutEvent']).toBe(original);
  expect(gojs['runtime.clearTimeoutEvent']).toBe(original);
  expect(gojs['runtime.nanotime1']).not.toBe(original);
  expect(fakeGo().replaced).toBe(true);
});
