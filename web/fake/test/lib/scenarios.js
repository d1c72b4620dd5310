// Scenarios in which polysse's EventSource (its Go core in wasm) must move with the test's
// fake clock: reconnection backoff, a retry policy up to its limit, the heartbeat watchdog,
// and a close during backoff. Every delay is longer than the test timeout, so a test that
// waited in real time could not pass.
import { afterEach, expect, test } from 'vitest';
import { setImmediate as nextMacrotask, setTimeout as realSleep } from 'node:timers/promises';
import { record, scripted } from './scripted.js';

/**
 * until waits for pred() without advancing any clock: it yields to the event loop (Node's
 * own timers, which fake timers do not replace) between checks, at most `turns` times, or
 * for at most realMs of real time when given.
 */
export async function until(what, pred, { turns = 500, realMs = 0 } = {}) {
  const deadline = realMs ? performanceNow() + realMs : 0;
  for (let i = 0; realMs ? performanceNow() < deadline : i < turns; i++) {
    if (pred()) return;
    await (realMs ? realSleep(5) : nextMacrotask());
  }
  if (pred()) return;
  throw new Error(`timed out waiting for: ${what}`);
}

// The real monotonic clock, whatever the test faked.
const hrNow = process.hrtime.bigint;
function performanceNow() {
  return Number(hrNow()) / 1e6;
}

/** A URL of the test page's origin (a cross-origin failure would add a CORS probe). */
export function url(path) {
  const base = typeof location !== 'undefined' && location.origin && location.origin !== 'null' ? location.href : 'http://fake.test/';
  return new URL(path, base).href;
}

const open = new Set();
afterEach(() => {
  for (const es of open) es.close();
  open.clear();
});

/** source creates an EventSource that is closed after the test. */
export function source(api, path, init) {
  const es = new api.EventSource(url(path), init);
  open.add(es);
  return es;
}

/**
 * clockScenarios defines the scenarios as tests. getAPI() returns polysse's API;
 * getTimers() the installed flavour ({ advance }).
 */
export function clockScenarios(getAPI, getTimers) {
  test('the server\'s retry time elapses on the test clock; the reconnect sends Last-Event-ID', async () => {
    const t = getTimers();
    const srv = scripted((req) => {
      if (req.attempt === 1) {
        req.send('retry: 30000\nid: 1\ndata: a\n\n');
        req.end(); // a clean end: the source reconnects after the retry time
      } else {
        req.send('data: b\n\n');
      }
    });
    const es = source(getAPI(), '/feed', { fetch: srv.fetch });
    const log = record(es);
    await until('the first attempt ends', () => log.includes('error:0:30000'));
    expect(log).toEqual(['open', 'message:a', 'error:0:30000']);
    await t.advance(29_999);
    expect(srv.requests).toHaveLength(1);
    await t.advance(1);
    await until('the second attempt delivers', () => log.includes('message:b'));
    expect(srv.requests).toHaveLength(2);
    expect(srv.requests[1].headers.get('last-event-id')).toBe('1');
    expect(log).toEqual(['open', 'message:a', 'error:0:30000', 'open', 'message:b']);
  });

  test('a growing backoff runs on the test clock, up to the retry limit', async () => {
    const t = getTimers();
    const srv = scripted(() => ({ reject: true })); // every attempt: a network error
    const es = source(getAPI(), '/down', { fetch: srv.fetch, retry: { initial: 10_000, multiplier: 2, maxAttempts: 3 } });
    const log = record(es);
    await until('the first attempt fails', () => log.includes('error:0:10000'));
    for (const [wait, attempts, next] of [[10_000, 2, 'error:0:20000'], [20_000, 3, 'error:0:40000']]) {
      await t.advance(wait - 1);
      expect(srv.requests).toHaveLength(attempts - 1);
      await t.advance(1);
      await until(`attempt ${attempts} fails`, () => log.includes(next));
      expect(srv.requests).toHaveLength(attempts);
    }
    await t.advance(40_000);
    await until('the source gives up', () => log.includes('close:retry-limit'));
    expect(srv.requests).toHaveLength(4);
    expect(log.slice(-2)).toEqual(['error:2:-', 'close:retry-limit']);
  });

  test('the heartbeat watchdog counts on the test clock, and bytes restart it', async () => {
    const t = getTimers();
    const srv = scripted((req) => req.send(':\n')); // opens, then stays silent
    const es = source(getAPI(), '/quiet', { fetch: srv.fetch, heartbeatTimeout: 60_000, retry: { initial: 15_000 } });
    const log = record(es);
    await until('open', () => log.includes('open'));
    await t.advance(30_000);
    srv.requests[0].send('data: ping\n\n');
    await until('the ping arrives', () => log.includes('message:ping'));
    await t.advance(59_999); // 60 s after the ping, not after the open
    expect(srv.requests[0].aborted).toBe(false);
    expect(log).toEqual(['open', 'message:ping']);
    await t.advance(1);
    await until('the watchdog aborts the silent attempt', () => log.includes('error:0:15000'));
    expect(srv.requests[0].aborted).toBe(true);
    await t.advance(14_999);
    expect(srv.requests).toHaveLength(1);
    await t.advance(1);
    await until('the next attempt', () => srv.requests.length === 2 && log.at(-1) === 'open');
  });

  test('close() during the backoff stops it: nothing fires when the clock runs on', async () => {
    const t = getTimers();
    const srv = scripted((req) => { req.send('retry: 20000\n\n'); req.end(); });
    const es = source(getAPI(), '/bye', { fetch: srv.fetch });
    const log = record(es);
    await until('in backoff', () => log.includes('error:0:20000'));
    es.close();
    await t.advance(120_000);
    await until('settled', () => log.at(-1) === 'close:local');
    expect(srv.requests).toHaveLength(1);
    expect(log).toEqual(['open', 'error:0:20000', 'close:local']);
  });
}

/**
 * switchScenarios: fake timers installed or removed while a source lives. install() installs
 * the flavour and returns it.
 */
export function switchScenarios(getAPI, install) {
  test('fake timers installed while a stream is open take over its backoff', async () => {
    const srv = scripted((req) => req.send(`data: ${req.attempt}\n\n`));
    const es = source(getAPI(), '/switch-on', { fetch: srv.fetch, retry: { initial: 30_000 } });
    const log = record(es);
    await until('open on the real clock', () => log.includes('message:1'), { realMs: 5000 });
    const t = install();
    try {
      srv.requests[0].end();
      await until('in backoff', () => log.includes('error:0:30000'));
      await t.advance(29_999);
      expect(srv.requests).toHaveLength(1);
      await t.advance(1);
      await until('reconnected on the fake clock', () => log.includes('message:2'));
    } finally {
      es.close();
      t.uninstall();
    }
  });

  test('a watchdog armed on the real clock moves to fake timers when Go next runs', async () => {
    const srv = scripted((req) => req.send(':\n'));
    const es = source(getAPI(), '/switch-watchdog', { fetch: srv.fetch, heartbeatTimeout: 60_000, retry: { initial: 1000 } });
    const log = record(es);
    await until('open on the real clock', () => log.includes('open'), { realMs: 5000 });
    const t = install();
    try {
      // Any call into Go moves its timeouts to the new clock: here a second source starting.
      const other = source(getAPI(), '/switch-other', { fetch: scripted().fetch });
      await until('the other source opens', () => other.readyState === 1);
      await t.advance(55_000); // the real time spent since the open is far below 5 s
      expect(srv.requests[0].aborted).toBe(false);
      await t.advance(5_000);
      await until('the watchdog fired on the fake clock', () => srv.requests[0].aborted);
    } finally {
      es.close();
      t.uninstall();
    }
  });

  test('fake timers uninstalled during a backoff hand the wait back to the real clock', async () => {
    const t = install();
    const srv = scripted((req) => {
      if (req.attempt === 1) { req.send('retry: 200\n\n'); req.end(); } else req.send('data: back\n\n');
    });
    const es = source(getAPI(), '/switch-off', { fetch: srv.fetch });
    const log = record(es);
    try {
      await until('in backoff on the fake clock', () => log.includes('error:0:200'));
    } finally {
      t.uninstall(); // the fake timer Go waited on is gone with them
    }
    await until('reconnected on the real clock', () => log.includes('message:back'), { realMs: 5000 });
    expect(srv.requests).toHaveLength(2);
  });

  test('clearing all fake timers under a waiting source does not strand it', async () => {
    const t = install();
    try {
      const srv = scripted((req) => { if (req.attempt === 1) { req.send('retry: 30000\n\n'); req.end(); } });
      const es = source(getAPI(), '/cleared', { fetch: srv.fetch });
      const log = record(es);
      await until('in backoff', () => log.includes('error:0:30000'));
      t.clearAll();
      await realSleep(150); // the clock's watch re-arms Go's timeout within 50 ms
      await t.advance(30_000);
      await until('reconnected', () => srv.requests.length === 2);
    } finally {
      t.uninstall();
    }
  });
}
