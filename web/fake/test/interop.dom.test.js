// @microsoft/fetch-event-source with fake.fetch as its fetch (jsdom and happy-dom: it needs
// a window and a document).
import { afterAll, expect, test } from 'vitest';
import { fetchEventSource } from '@microsoft/fetch-event-source';
import { createFake, sse } from 'polysse/fake';

const fake = await createFake({ logLevel: 'error' });
afterAll(() => fake.close());

test('@microsoft/fetch-event-source reads events from fake.fetch, POST body and all', async () => {
  fake.use('POST /ask', sse.stream(sse.event({ type: 'answer', id: '1', data: { text: 'hi' } }), sse.end()), { heartbeat: 0 });
  const got = [];
  const ctrl = new AbortController();
  await fetchEventSource(new URL('/ask', fake.baseURL).href, {
    method: 'POST',
    body: JSON.stringify({ q: 'hello?' }),
    headers: { 'Content-Type': 'application/json' },
    fetch: fake.fetch,
    signal: ctrl.signal,
    openWhenHidden: true,
    onmessage: (m) => got.push([m.event, m.id, m.data]),
    onclose: () => { throw new Error('closed'); }, // no reconnect: end the call
    onerror: (e) => { throw e; },
  }).catch((e) => { if (e.message !== 'closed') throw e; });
  expect(got).toEqual([['answer', '1', '{"text":"hi"}']]);
  const [e] = fake.requests('POST /ask');
  expect([e.method, e.body, e.headers.Accept]).toEqual(['POST', '{"q":"hello?"}', 'text/event-stream']);
});
