// The README's example of polysse/fake ("Testing code that uses SSE"), as it is written there.
import { afterAll, afterEach, beforeAll, expect, test, vi } from 'vitest';
import { createFake, sse } from 'polysse/fake';

const fake = await createFake();           // about 150 ms; one per test file is plenty
beforeAll(() => fake.install());           // globalThis.EventSource: polysse's, answered by the fake
afterEach(() => { fake.reset(); vi.useRealTimers(); }); // reset: ends streams, empties the journal
afterAll(() => fake.close());

test('resumes after a drop, then completes', async () => {
  vi.useFakeTimers();                      // the fake's heartbeats and waits follow them too
  fake.use('GET /jobs/{id}/events', [
    sse.stream(sse.retry(2000), sse.event({ type: 'progress', id: '7', data: { pct: 50 } }), sse.drop()),
    sse.stream(sse.event({ type: 'progress', data: { pct: 100 } }), sse.complete({ ok: true })),
  ]);
  const es = new EventSource('/jobs/1/events');      // the code under test would do this
  const [, second] = await fake.waitForRequests('GET /jobs/{id}/events', 2); // advances the clock
  expect(second.lastEventId).toBe('7');
  const [, , third] = await fake.waitForRequests('GET /jobs/{id}/events', 3);
  expect(third.status).toBe(204);          // the completion token's reconnect
  es.close();
});
