// What the DOM environments change under polysse, on the real clock: in Vitest's jsdom
// environment the global Uint8Array is jsdom's while Node's TextEncoder, fetch and streams make
// Node's; happy-dom's MessageEvent carries data, origin and lastEventId as own fields.
import { expect, test } from 'vitest';
import { init } from 'polysse';
import { record, scripted } from './lib/scripted.js';
import { source, until } from './lib/scenarios.js';

const api = await init();

test('a POST body and the streamed chunks reach Go, and events carry their data, id and origin', async () => {
  let body;
  const srv = scripted((req) => req.send('id: 7\ndata: a\n\n'));
  const fetch = async (input, init) => {
    body = await new Response(init.body).text();
    return srv.fetch(input, init);
  };
  const es = source(api, '/post', { fetch, method: 'POST', body: 'hello' });
  const log = record(es);
  let event;
  es.addEventListener('message', (e) => { event = e; });
  await until('the message', () => log.length >= 2 || log.some((l) => l.startsWith('error')), { realMs: 5000 });
  expect(log).toEqual(['open', 'message:a']);
  expect(body).toBe('hello');
  expect(srv.requests[0].method).toBe('POST');
  expect(event).toBeInstanceOf(MessageEvent);
  expect(event.lastEventId).toBe('7');
  expect(event.origin).toBe(new URL(es.url).origin);
});
