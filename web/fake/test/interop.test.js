// polysse/fake behind other tools, in Node, jsdom and happy-dom: an MSW handler that
// delegates to fake.handle (MSW intercepts the global fetch; the fake answers with a
// streaming Response), and fake.fetch as the fetch of code that reads a body itself.
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { init } from 'polysse';
import { createFake, sse } from 'polysse/fake';
import { events, settle } from './lib/fake.js';

const fake = await createFake({ logLevel: 'error' });
const polysse = await init();
// MSW sees every request; what the fake has a route for, the fake answers; the rest goes on
// to MSW's other handlers.
const server = setupServer(
  http.all('*', ({ request }) => fake.handle(request)),
  http.get('*/api/user', () => HttpResponse.json({ name: 'Ada' })),
);
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  fake.reset();
  server.resetHandlers();
});
afterAll(async () => {
  server.close();
  await fake.close();
});

const url = (path) => new URL(path, fake.baseURL).href;

test('an MSW handler delegates to fake.handle: streams, drops and statuses reach polysse through MSW', async () => {
  fake.use('GET /feed', [
    sse.stream(sse.retry(50), sse.event({ id: '1', data: 'through msw' }), sse.drop()),
    sse.respond(204),
  ], { heartbeat: 0 });
  // polysse's own EventSource with the global fetch, which MSW has patched.
  const es = new polysse.EventSource(url('/feed'));
  const log = events(es);
  await settle('closed by the 204', () => log.at(-1) === 'close:no-content', { realMs: 5000 }).catch((e) => { throw new Error(`${e.message}: ${log}`); });
  expect(log).toEqual(['open', 'message:through msw', 'error:0', 'error:2', 'close:no-content']);
  expect(fake.requests('GET /feed').map((e) => [e.attempt, e.status, e.lastEventId])).toEqual([[1, 200, null], [2, 204, '1']]);
  // A request the fake has no route for goes on to MSW's next handler, unjournaled.
  expect(await (await fetch(url('/api/user'))).json()).toEqual({ name: 'Ada' });
  expect(fake.requests()).toHaveLength(2);
});

test('fake.fetch works for any code that reads a fetch body', async () => {
  fake.use('POST /chat', sse.stream(sse.event({ type: 'token', data: 'Hel' }), sse.event({ type: 'token', data: 'lo' }), sse.end()), { heartbeat: 0 });
  const res = await fake.fetch(url('/chat'), { method: 'POST', body: JSON.stringify({ prompt: 'hi' }) });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let all = '';
  for (let r; !(r = await reader.read()).done;) all += r.value;
  const tokens = [...all.matchAll(/^data: (.*)$/gm)].map((m) => m[1]);
  expect(tokens.join('')).toBe('Hello');
});
