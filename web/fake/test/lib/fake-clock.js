// Scenarios in which polysse/fake (its Go server in wasm) moves with the test's fake clock:
// scripted waits, the server's heartbeats, a delayed answer, a handler's sleep, and
// polysse's EventSource reconnecting after the fake's retry. Every delay is longer than the
// test timeout, so that a test that waited in real time could not pass.
import { afterEach, expect, test } from 'vitest';
import { sse } from 'polysse/fake';
import { events, reader, settle, source, text } from './fake.js';

/**
 * fakeClockScenarios defines the scenarios as tests. getFake() returns a fake (installed);
 * getTimers() the installed flavour ({ advance }).
 */
export function fakeClockScenarios(getFake, getTimers) {
  afterEach(() => getFake().reset());

  test('scripted waits and the server\'s heartbeats move with the test clock', async () => {
    const fake = getFake();
    const t = getTimers();
    fake.use('GET /slow', sse.stream(sse.event({ data: 'a' }), sse.wait(60_000), sse.event({ data: 'b' }), sse.hold()), { heartbeat: 45_000 });
    const r = reader(await fake.fetch('/slow'));
    let got = '';
    while (!got.includes('data: a')) got += text(await r.next());
    const next = r.next();
    let chunk = null;
    next.then((c) => { chunk = text(c); });
    await t.advance(44_999);
    expect(chunk).toBe(null);
    await t.advance(1);
    await settle('the heartbeat', () => chunk !== null);
    expect(chunk).toBe(':\n');
    const after = r.next();
    let b = null;
    after.then((c) => { b = text(c); });
    await t.advance(14_999);
    expect(b).toBe(null);
    await t.advance(1);
    await settle('the event after the wait', () => b !== null);
    expect(b).toBe('data: b\n\n');
    await r.cancel();
  });

  test('a delayed answer and a handler\'s sleep move with the test clock', async () => {
    const fake = getFake();
    const t = getTimers();
    fake.use('GET /later', sse.delay(30_000, sse.respond(200, { body: 'late' })));
    fake.use('GET /napping', async (ctx) => {
      await ctx.sleep(90_000);
      await ctx.respond(200, { body: 'rested' });
    });
    let late = null;
    fake.fetch('/later').then((r) => r.text()).then((s) => { late = s; });
    let rested = null;
    fake.fetch('/napping').then((r) => r.text()).then((s) => { rested = s; });
    await fake.waitForRequests(undefined, 2);
    await t.advance(29_999);
    expect(late).toBe(null);
    await t.advance(1);
    await settle('the delayed answer', () => late !== null);
    expect(late).toBe('late');
    await t.advance(59_999);
    expect(rested).toBe(null);
    await t.advance(1);
    await settle('the handler woke', () => rested !== null);
    expect(rested).toBe('rested');
  });

  test('the EventSource reconnects after the fake\'s retry, and waitForRequests advances the clock', async () => {
    const fake = getFake();
    const t = getTimers();
    fake.use('GET /again', [
      sse.stream(sse.retry(30_000), sse.event({ data: 'first' }), sse.end()),
      sse.stream(sse.event({ data: 'second' }), sse.hold()),
    ], { heartbeat: 0 });
    const log = events(source('/again'));
    await settle('the first attempt ends', () => log.includes('error:0'));
    await t.advance(29_999);
    expect(fake.requests('GET /again')).toHaveLength(1);
    // The wait advances the fake timers while it polls (1 ms is left).
    const [, second] = await fake.waitForRequests('GET /again', 2);
    expect(second.attempt).toBe(2);
    await settle('the second message', () => log.includes('message:second'));
    expect(log).toEqual(['open', 'message:first', 'error:0', 'open', 'message:second']);
  });
}
