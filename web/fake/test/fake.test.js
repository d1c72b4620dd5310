// polysse/fake in the test's process, one named test per capability, in Node, jsdom and
// happy-dom (vitest.config.js): the fake (polysse-fake.wasm: polysse's Go server and the
// fake's engine) answers polysse's EventSource (installed as the global one) and fetch.
// Tests that involve time run under Vitest's fake timers and wait longer than the test
// timeout on them, so that none can pass by waiting in real time.
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { createFake, FakeError, sse } from 'polysse/fake';
import { events, readAll, reader, settle, source, text, trapSockets, watchUncaught } from './lib/fake.js';

const fake = await createFake({ logLevel: 'error' });
beforeAll(() => fake.install());
afterEach(() => {
  fake.reset();
  vi.useRealTimers();
});
afterAll(() => fake.close());

const enc = new TextEncoder();
const origin = new URL(fake.baseURL).origin; // http://localhost, or the DOM environment's page

describe('capabilities', () => {
  test('scripted events carry type, id and retry', async () => {
    vi.useFakeTimers();
    fake.use('GET /events', [
      sse.stream(
        sse.event({ type: 'progress', id: '1', data: { pct: 50 } }),
        sse.event({ id: '2', data: 'plain', retry: 30_000 }),
        sse.end(),
      ),
      sse.stream(sse.event({ data: 'again' }), sse.hold()),
    ], { heartbeat: 0 });
    const es = source('/events');
    const got = [];
    es.addEventListener('progress', (e) => got.push(['progress', e.data, e.lastEventId]));
    es.addEventListener('message', (e) => got.push(['message', e.data, e.lastEventId]));
    es.addEventListener('error', () => got.push(['error', es.readyState]));
    await settle('two events, then the end', () => got.length === 3);
    expect(got).toEqual([['progress', '{"pct":50}', '1'], ['message', 'plain', '2'], ['error', 0]]);
    await vi.advanceTimersByTimeAsync(29_999); // the retry the event carried
    expect(fake.requests('GET /events')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await settle('the reconnect', () => got.length === 4);
    expect(got[3]).toEqual(['message', 'again', '2']);
  });

  test("comments and the server's heartbeats reach the client", async () => {
    vi.useFakeTimers();
    fake.use('GET /beat', sse.stream(sse.comment('still working'), sse.heartbeat(), sse.hold()), { heartbeat: 20_000 });
    const res = await fake.fetch('/beat');
    expect(res.headers.get('sse-heartbeat-interval')).toBe('20000');
    const r = reader(res);
    let seen = '';
    while (!seen.includes(':\n\n') && !seen.endsWith(':\n')) seen += text(await r.next());
    expect(seen).toBe(': ok\n: still working\n:\n');
    const next = r.next();
    await vi.advanceTimersByTimeAsync(20_000); // the server's heartbeat, on the test's clock
    expect(text(await next)).toBe(':\n');
    await r.cancel();

    // polysse's EventSource keeps the stream: heartbeats count for its watchdog ('auto' from the header).
    const es = source('/beat', { heartbeatTimeout: 'auto' });
    const log = events(es);
    await settle('open', () => log.includes('open'));
    await vi.advanceTimersByTimeAsync(120_000);
    expect(log).toEqual(['open']);
    expect(fake.requests('GET /beat')).toHaveLength(2);
  });

  test('raw bytes arrive in the chunks the script chose', async () => {
    vi.useFakeTimers();
    // A BOM, 'data: h' and the first byte of an é; then its second byte, 'llo' and the blank line.
    const first = new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode('data: h'), 0xc3]);
    const second = new Uint8Array([0xa9, ...enc.encode('llo\n\n')]);
    fake.use('GET /bytes', sse.respond(200, {
      headers: { 'Content-Type': 'text/event-stream' },
      body: [sse.raw(first), sse.wait(1000), sse.raw(second), sse.hold()],
    }));
    const r = reader(await fake.fetch('/bytes'));
    expect(await r.next()).toEqual(first);
    const next = r.next();
    await vi.advanceTimersByTimeAsync(1000);
    expect(await next).toEqual(second);
    await r.cancel();

    const es = source('/bytes');
    const log = events(es);
    await vi.advanceTimersByTimeAsync(1000);
    await settle('the message', () => log.length === 2);
    expect(log).toEqual(['open', 'message:héllo']);

    // From the test: each part is a chunk of its own.
    fake.use('GET /live', sse.stream(sse.hold()), { heartbeat: 0 });
    const live = reader(await fake.fetch('/live'));
    expect(text(await live.next())).toBe(': ok\n');
    const conn = await fake.waitForConnection('GET /live');
    await conn.raw('data: h', new Uint8Array([0xc3]), new Uint8Array([0xa9]), 'llo\n\n');
    const chunks = [];
    for (let i = 0; i < 4; i++) chunks.push([...(await live.next())]);
    expect(chunks).toEqual([[...enc.encode('data: h')], [0xc3], [0xa9], [...enc.encode('llo\n\n')]]);
    await live.cancel();
  });

  test('status answers with headers: 204 stops, 401 fails, 503 retries with classify', async () => {
    vi.useFakeTimers();
    fake.use('GET /gone', sse.respond(204));
    fake.use('GET /auth', sse.respond(401, { headers: { 'WWW-Authenticate': 'Bearer realm="jobs"' }, body: 'expired' }));
    fake.use('GET /busy', [
      sse.times(2, sse.respond(503, { headers: { 'Retry-After': '7' }, body: 'busy' })),
      sse.stream(sse.event({ data: 'back' }), sse.hold()),
    ], { heartbeat: 0 });

    const auth = await fake.fetch('/auth');
    expect([auth.status, auth.headers.get('www-authenticate'), await auth.text()]).toEqual([401, 'Bearer realm="jobs"', 'expired']);
    fake.reset();
    fake.use('GET /gone', sse.respond(204));
    fake.use('GET /auth', sse.respond(401, { headers: { 'WWW-Authenticate': 'Bearer' } }));
    fake.use('GET /busy', [
      sse.times(2, sse.respond(503, { headers: { 'Retry-After': '7' }, body: 'busy' })),
      sse.stream(sse.event({ data: 'back' }), sse.hold()),
    ], { heartbeat: 0 });

    const gone = events(source('/gone'));
    const denied = source('/auth');
    const deniedLog = events(denied);
    let closeStatus;
    denied.addEventListener('close', (e) => { closeStatus = e.status; });
    const seen = [];
    const busy = source('/busy', {
      retry: { initial: 7000, max: 7000 },
      classify: (r) => {
        seen.push([r.status, r.headers.get('retry-after')]);
        return r.status === 503 ? 'retry' : undefined;
      },
    });
    const busyLog = events(busy);
    await settle('204 and 401 closed', () => gone.at(-1) === 'close:no-content' && deniedLog.at(-1) === 'close:http-status');
    expect(closeStatus).toBe(401);
    await vi.advanceTimersByTimeAsync(14_000);
    await settle('back after two 503s', () => busyLog.includes('message:back'));
    expect(seen).toEqual([[503, '7'], [503, '7'], [200, null]]);
    expect(fake.requests('GET /busy').map((e) => e.status)).toEqual([503, 503, 200]);
    expect(fake.requests('GET /gone').map((e) => e.status)).toEqual([204]);
  });

  test('a drop mid-stream is a network error and never throws into the test', async () => {
    vi.useFakeTimers();
    const uncaught = watchUncaught();
    try {
      fake.use('GET /flaky', [
        sse.stream(sse.retry(1000), sse.event({ id: '1', data: 'a' }), sse.drop()),
        sse.stream(sse.event({ data: 'b' }), sse.hold()),
      ], { heartbeat: 0 });
      const log = events(source('/flaky'));
      await settle('the drop', () => log.includes('error:0'));
      await vi.advanceTimersByTimeAsync(1000);
      await settle('the reconnect', () => log.includes('message:b'));
      expect(log).toEqual(['open', 'message:a', 'error:0', 'open', 'message:b']);
      expect(fake.requests('GET /flaky').map((e) => e.outcome)).toEqual(['dropped', 'open']);

      // A reader of the body sees the bytes before the drop, then a TypeError.
      fake.use('GET /cut', sse.stream(sse.event({ data: 'x' }), sse.hold()), { heartbeat: 0 });
      const res = await fake.fetch('/cut');
      const conn = await fake.waitForConnection('GET /cut');
      await conn.drop();
      const { chunks, error } = await readAll(res);
      expect(chunks.join('')).toBe(': ok\ndata: x\n\n');
      expect(error).toBeInstanceOf(TypeError);
      expect(await fake.waitForDisconnect(conn)).toBe('dropped');

      // A body nobody reads, dropped: nothing escapes either.
      fake.use('GET /unread', sse.stream(sse.hold()), { heartbeat: 0 });
      await fake.fetch('/unread');
      await (await fake.waitForConnection('GET /unread')).drop();
      // A drop before any response: the fetch rejects with a TypeError.
      fake.use('GET /nothing', sse.networkError());
      await expect(fake.fetch('/nothing')).rejects.toThrow(TypeError);
      await vi.advanceTimersByTimeAsync(1000);
      expect(uncaught.seen).toEqual([]);
    } finally {
      uncaught.stop();
    }
  });

  test('the reconnect carries Last-Event-ID', async () => {
    vi.useFakeTimers();
    fake.use('GET /resume', [
      sse.stream(sse.retry(500), sse.event({ id: '7', data: 'a' }), sse.drop()),
      sse.stream(sse.event({ data: 'resumed after {lastEventId}' }), sse.hold()),
    ], { heartbeat: 0 });
    const log = events(source('/resume'));
    await settle('the drop', () => log.includes('error:0'));
    await vi.advanceTimersByTimeAsync(500);
    const [first, second] = await fake.waitForRequests('GET /resume', 2);
    expect([first.lastEventId, second.lastEventId, second.headers['Last-Event-Id']]).toEqual([null, '7', '7']);
    await settle('the message', () => log.includes('message:resumed after 7'));
    expect((await fake.waitForConnection('GET /resume')).lastEventId).toBe('7');
  });

  test('send reaches one connection, broadcast all of a route', async () => {
    fake.use('GET /feed', sse.stream(sse.hold()), { heartbeat: 0 });
    const a = events(source('/feed?who=a'), 'tick');
    const b = events(source('/feed?who=b'), 'tick');
    await fake.waitForRequests('GET /feed', 2);
    await settle('both open', () => a.includes('open') && b.includes('open'));
    const conns = fake.connections('GET /feed');
    expect(conns.map((c) => c.id)).toEqual(['c1', 'c2']);
    const urlOf = (c) => fake.requests('GET /feed').find((e) => e.connection === c.id).url;
    const toA = conns.find((c) => urlOf(c).endsWith('who=a'));
    await toA.send({ data: 'just you' });
    expect(await fake.broadcast('GET /feed', { type: 'tick', data: '1' })).toBe(2);
    await settle('delivered', () => a.length === 3 && b.length === 2);
    expect(a).toEqual(['open', 'message:just you', 'tick:1']);
    expect(b).toEqual(['open', 'tick:1']);
    expect(() => fake.broadcast('GET /nowhere', { data: 'x' })).toThrow(/no route "GET \/nowhere"/);
  });

  test('after complete the reconnect gets 204', async () => {
    vi.useFakeTimers();
    fake.use('GET /job', sse.stream(sse.event({ type: 'progress', data: '50' }), sse.complete({ ok: true })), {
      heartbeat: 0, reconnectionTime: 2000,
    });
    // polysse's EventSource reconnects with the completion token as Last-Event-ID, as a spec
    // EventSource does; the server answers 204 with SSE-Outcome: complete, and polysse closes.
    const es = source('/job');
    const log = events(es, 'progress', 'complete');
    await settle('the end of the stream', () => log.includes('error:0'));
    await vi.advanceTimersByTimeAsync(2000);
    await settle('closed', () => log.at(-1) === 'close:complete');
    expect(log).toEqual(['open', 'progress:50', 'complete:{"ok":true}', 'error:0', 'error:2', 'close:complete']);
    const [first, second] = fake.requests('GET /job');
    expect([first.status, first.outcome]).toEqual([200, 'ended']);
    expect([second.status, second.outcome, second.attempt]).toEqual([204, 'refused', 2]);
    expect(second.lastEventId).toMatch(/^[0-9a-f-]{36}$/); // the token was the complete event's id

    // By hand: the token redeems once.
    const body = (await readAll(await fake.fetch('/job'))).chunks.join('');
    const token = /id: (.+)\nevent: complete\ndata: \{"ok":true\}\n\n/.exec(body)[1];
    const again = await fake.fetch('/job', { headers: { 'Last-Event-ID': token } });
    expect([again.status, again.headers.get('sse-outcome'), again.body]).toEqual([204, 'complete', null]);
    const third = await fake.fetch('/job', { headers: { 'Last-Event-ID': token } });
    expect(third.status).toBe(200); // redeemed already: an ordinary attempt
    await third.body.cancel();
  });

  test('the journal records attempt, method, URL, headers, body and status', async () => {
    vi.useFakeTimers({ now: new Date('2030-01-02T03:04:05Z') });
    fake.use('POST /jobs/{id}/events', sse.stream(sse.event({ data: 'job {params.id}' }), sse.end()), { heartbeat: 0 });
    const res = await fake.fetch('/jobs/42/events?since=3', {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Trace': 't1' }, body: '{"q":1}',
    });
    expect(await res.text()).toBe(': ok\ndata: job 42\n\n');
    const [e] = fake.requests('POST /jobs/{id}/events');
    expect(e).toMatchObject({
      seq: 1, scope: 'default', route: 'POST /jobs/{id}/events', attempt: 1, connection: 'c1', method: 'POST',
      url: expect.stringMatching(/^http:\/\/localhost(:\d+)?\/jobs\/42\/events\?since=3$/), path: '/jobs/42/events',
      query: { since: '3' }, lastEventId: null, body: '{"q":1}', status: 200, outcome: 'ended',
      startedAt: Date.parse('2030-01-02T03:04:05Z'),
    });
    expect(e.headers).toMatchObject({ 'Content-Type': 'application/json', 'X-Trace': 't1' });
    await fake.fetch('/unknown').catch(() => {});
    expect(fake.requests().at(-1)).toMatchObject({ route: null, outcome: 'unhandled', status: 404 });
    fake.reset();
    expect(fake.requests()).toEqual([]);
  });

  test('a POST with a body and any Accept is matched and journaled', async () => {
    fake.use('POST /chat', sse.stream(sse.event({ data: 'ok' }), sse.hold()), { heartbeat: 0 });
    fake.use('* /any/{rest...}', sse.respond(200, { body: 'anything' }));
    const es = source('/chat', { method: 'POST', body: JSON.stringify({ prompt: 'hi' }), headers: { 'Content-Type': 'application/json' } });
    const log = events(es);
    await settle('the message', () => log.includes('message:ok'));
    const r = await fake.fetch('/chat', { method: 'POST', body: 'again', headers: { Accept: 'text/event-stream, */*' } });
    await r.body.cancel();
    const [e, f] = fake.requests('POST /chat');
    expect([e.method, e.body, e.headers['Content-Type']]).toEqual(['POST', '{"prompt":"hi"}', 'application/json']);
    expect([f.method, f.body, f.headers.Accept]).toEqual(['POST', 'again', 'text/event-stream, */*']);
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const r = await fake.fetch('/any/thing', { method, headers: { Accept: 'application/json' } });
      expect(await r.text()).toBe('anything');
    }
    expect(fake.requests('* /any/{rest...}').map((x) => [x.method, x.headers.Accept])).toEqual([
      ['PUT', 'application/json'], ['DELETE', 'application/json'], ['PATCH', 'application/json'],
    ]);
  });

  test('fake.fetch opens no socket', async () => {
    const trap = trapSockets();
    try {
      // The trap works: a real fetch to a closed port is caught by it.
      await expect(fetchOutside('http://127.0.0.1:59999/')).rejects.toThrow(); // a closed port
      expect(trap.calls.length).toBeGreaterThan(0);
      trap.calls.length = 0;
      fake.use('GET /quiet', sse.stream(sse.event({ data: 'in process' }), sse.complete()), { heartbeat: 0 });
      const log = events(source('/quiet', { completeEvent: 'complete' }));
      await settle('closed', () => log.at(-1) === 'close:complete');
      expect(await (await fake.fetch('http://api.example.test/quiet')).text()).toContain('data: in process');
      expect(trap.calls).toEqual([]);
    } finally {
      trap.restore();
    }
  });

  test('a refused route answers through server.Refuse', async () => {
    vi.useFakeTimers();
    fake.use('GET /refused', sse.stream(sse.event({ data: 'never' })), {
      refuse: { status: 503, headers: { 'Retry-After': '2' }, body: 'come back later' },
    });
    const r = await fake.fetch('/refused');
    // The server's refusal path: http.Error's body and headers, the refusal's own headers.
    expect([r.status, r.headers.get('retry-after'), r.headers.get('x-content-type-options'), await r.text()])
      .toEqual([503, '2', 'nosniff', 'come back later\n']);
    fake.use('GET /stop', sse.stream(), { refuse: { status: 204 } });
    const log = events(source('/stop'));
    await settle('closed', () => log.at(-1) === 'close:no-content');
    expect(fake.requests().map((e) => [e.route, e.status, e.outcome])).toEqual([
      ['GET /refused', 503, 'refused'], ['GET /stop', 204, 'refused'],
    ]);
  });

  test("replay after Last-Event-ID comes from the server's buffer", async () => {
    fake.use('GET /news', sse.stream(sse.hold()), { topics: ['news'], replay: 10, autoIds: true, heartbeat: 0 });
    const live = reader(await fake.fetch('/news'));
    // The preamble, then the stream's start position: an event with only an id (clients
    // keep the id and dispatch nothing), the position before the first publish.
    const first = text(await live.next());
    expect(first).toMatch(/^: ok\nid: [0-9a-f]{8}-0\n\n$/);
    const ids = [];
    for (const d of ['a', 'b', 'c']) ids.push(...(await fake.publish('news', { data: d })));
    expect(ids).toHaveLength(3);
    expect(first).toBe(`: ok\nid: ${ids[0].replace(/-1$/, '-0')}\n\n`);
    let got = '';
    while (!got.includes('data: c')) got += text(await live.next());
    expect(got).toBe(ids.map((id, i) => `id: ${id}\ndata: ${'abc'[i]}\n\n`).join(''));
    const resumed = await fake.fetch('/news', { headers: { 'Last-Event-ID': ids[0] } });
    expect(resumed.headers.get('sse-replay')).toBe('complete');
    const r = reader(resumed);
    let replay = '';
    while (!replay.includes('data: c')) replay += text(await r.next());
    expect(replay).toBe(`: ok\nid: ${ids[1]}\ndata: b\n\nid: ${ids[2]}\ndata: c\n\n`);
    await live.cancel();
    await r.cancel();
  });
});

// fetchOutside is the fetch of before install() (a real one), for the socket trap's check.
const realFetch = globalThis.fetch;
function fetchOutside(url) {
  return (realFetch === globalThis.fetch ? fake.fetch : realFetch)(url);
}

describe('handlers', () => {
  test('a JavaScript handler streams, sleeps on the fake clock and completes', async () => {
    vi.useFakeTimers();
    const seen = [];
    fake.use('GET /jobs/{id}/events', async ({ params, attempt, lastEventId, request, stream }) => {
      seen.push([params.id, attempt, lastEventId, request.method]);
      const s = stream();
      s.send({ type: 'progress', id: '1', data: { job: params.id, pct: 10 } });
      await s.sleep(60_000);
      s.comment();
      s.complete({ ok: true });
    }, { heartbeat: 0, reconnectionTime: 1000 });
    const es = source('/jobs/7/events');
    const log = events(es, 'progress');
    await settle('progress', () => log.length === 2);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(log).toEqual(['open', 'progress:{"job":"7","pct":10}']);
    await vi.advanceTimersByTimeAsync(1);
    await settle('the end', () => log.at(-1) === 'error:0');
    await vi.advanceTimersByTimeAsync(1000); // the reconnect redeems the token: 204
    await settle('complete', () => log.at(-1) === 'close:complete');
    expect(seen).toEqual([['7', 1, null, 'GET']]); // the token's attempt never reached the handler
  });

  test('a handler answers with respond, drop or a scripted answer, by attempt', async () => {
    fake.use('GET /h', async (ctx) => {
      if (ctx.attempt === 1) await ctx.respond(401, { headers: { 'WWW-Authenticate': 'Bearer' }, body: 'no' });
      else if (ctx.attempt === 2) await ctx.drop();
      else await ctx.serve(sse.stream(sse.event({ data: `attempt ${ctx.attempt}` }), sse.end()));
    }, { heartbeat: 0 });
    const a = await fake.fetch('/h');
    expect([a.status, a.headers.get('www-authenticate'), await a.text()]).toEqual([401, 'Bearer', 'no']);
    await expect(fake.fetch('/h')).rejects.toThrow(TypeError);
    expect(await (await fake.fetch('/h')).text()).toBe(': ok\ndata: attempt 3\n\n');
  });

  test('a handler that throws gets a 500 naming its route; one that never answers, too', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      fake.use('GET /broken', () => { throw new Error('kaboom'); });
      fake.use('GET /silent', () => {});
      const broken = await fake.fetch('/broken');
      expect([broken.status, await broken.text()]).toEqual([500, 'fake: the handler of route GET /broken failed: Error: kaboom']);
      const silent = await fake.fetch('/silent');
      expect(silent.status).toBe(500);
      expect(await silent.text()).toContain('GET /silent');
    } finally {
      errors.mockRestore();
    }
  });
});

describe('routes, policies and lifecycle', () => {
  test('unhandled requests: error names method and URL; warn and bypass pass them on; a function decides', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const warnings = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const passed = [];
    // The fetch a request is passed on to: the global one (here a stand-in), or the one
    // install() replaced.
    vi.stubGlobal('fetch', async (input, init) => {
      passed.push([String(input instanceof Request ? input.url : input), init && init.method]);
      return new Response('from elsewhere');
    });
    const fakes = {};
    try {
      for (const onUnhandled of ['error', 'warn', 'bypass']) fakes[onUnhandled] = await createFake({ onUnhandled });
      fakes.decide = await createFake({
        onUnhandled: (req) => (new URL(req.url).pathname === '/teapot' ? new Response('short and stout', { status: 418 }) : 'error'),
      });
      await expect(fakes.error.fetch('/nope', { method: 'PUT' })).rejects.toThrow(new TypeError(`polysse fake: no route for PUT ${origin}/nope`));
      expect(errors).toHaveBeenCalledWith(`polysse fake: no route for PUT ${origin}/nope`);
      expect(fakes.error.requests()).toMatchObject([{ method: 'PUT', outcome: 'unhandled', route: null, status: 404 }]);
      expect(await (await fakes.warn.fetch('/elsewhere', { method: 'POST', body: 'x' })).text()).toBe('from elsewhere');
      expect(warnings).toHaveBeenCalledWith(expect.stringContaining(`no route for POST ${origin}/elsewhere`));
      expect(await (await fakes.bypass.fetch('http://api.test/other')).text()).toBe('from elsewhere');
      expect(passed).toEqual([[`${origin}/elsewhere`, 'POST'], ['http://api.test/other', undefined]]);
      const teapot = await fakes.decide.fetch('/teapot');
      expect([teapot.status, await teapot.text()]).toEqual([418, 'short and stout']);
      await expect(fakes.decide.fetch('/kettle')).rejects.toThrow(`no route for GET ${origin}/kettle`);
    } finally {
      vi.unstubAllGlobals();
      for (const f of Object.values(fakes)) await f.close();
      errors.mockRestore();
      warnings.mockRestore();
    }
  });

  test('per-test overrides go before the defaults, next answers one attempt, reset restores the defaults', async () => {
    const own = await createFake({ routes: [sse.route('GET /feed', sse.respond(200, { body: 'default' }))] });
    try {
      own.use('GET /feed', sse.respond(200, { body: 'override' }));
      own.next('GET /feed', sse.respond(401));
      expect((await own.fetch('/feed')).status).toBe(401);
      expect(await (await own.fetch('/feed')).text()).toBe('override');
      own.reset();
      expect(await (await own.fetch('/feed')).text()).toBe('default');
      expect(own.requests().map((e) => e.attempt)).toEqual([1]);
      expect(() => own.use('GET /x', { stream: [{ commnet: 'typo' }] })).toThrow(/unknown step "commnet"/);
      expect(() => own.route('GET /feed', sse.respond(200))).toThrow(FakeError);
      // A script file, as a JSON import: its routes become defaults (names stay unique).
      const file = await import('./fixtures/routes.json');
      expect(() => own.load(file)).toThrow('script: routes[1].name: the name "GET /feed" is taken by another route');
      expect(() => own.load({ version: 2, routes: [] })).toThrow('script: version: must be 1, got 2');
      const loaded = await createFake({ routes: file.default });
      expect(await (await loaded.fetch('/')).text()).toContain('polysse fake');
      await loaded.close();
    } finally {
      await own.close();
    }
    await expect(own.fetch('/feed')).rejects.toThrow('closed');
  });

  test('install replaces the global EventSource and fetch, uninstall restores them', async () => {
    const before = { es: globalThis.EventSource, fetch: globalThis.fetch }; // the suite's fake's
    const other = await createFake({ routes: [sse.route('GET /mine', sse.stream(sse.event({ data: 'other' }), sse.hold()), { heartbeat: 0 })] });
    try {
      await other.install();
      expect(globalThis.EventSource).not.toBe(before.es);
      expect(globalThis.fetch).not.toBe(before.fetch);
      expect(globalThis.EventSource.name).toBe('EventSource');
      const log = events(source('/mine'));
      await settle('the other fake answers', () => log.includes('message:other'));
      other.uninstall();
      expect([globalThis.EventSource, globalThis.fetch]).toEqual([before.es, before.fetch]);
    } finally {
      await other.close();
    }
    expect([globalThis.EventSource, globalThis.fetch]).toEqual([before.es, before.fetch]);
  });

  test('the client going away reaches the server: an aborted fetch, a cancelled body, a closed EventSource', async () => {
    fake.use('GET /away', sse.stream(sse.hold()), { heartbeat: 0 });
    const ac = new AbortController();
    const aborted = await fake.fetch('/away?by=signal', { signal: ac.signal });
    const cancelled = await fake.fetch('/away?by=cancel');
    const es = source('/away?by=close');
    const conns = await fake.waitForRequests('GET /away', 3).then(() => settle('3 open', () => fake.connections('GET /away').length === 3))
      .then(() => fake.connections('GET /away'));
    ac.abort();
    await expect(aborted.body.getReader().read()).rejects.toThrow();
    await cancelled.body.cancel();
    es.close();
    for (const c of conns) expect(await fake.waitForDisconnect(c)).toBe('client-gone');
    expect(fake.requests('GET /away').map((e) => e.outcome)).toEqual(['client-gone', 'client-gone', 'client-gone']);
    await expect(fake.fetch('/away', { signal: AbortSignal.abort() })).rejects.toThrow();
  });

  test('an operation on an ended connection fails, naming it', async () => {
    fake.use('GET /short', sse.stream(sse.hold()), { heartbeat: 0 });
    const r = reader(await fake.fetch('/short'));
    await r.next();
    const conn = await fake.waitForConnection('GET /short');
    await conn.end();
    expect(await fake.waitForDisconnect(conn)).toBe('closed');
    expect(() => conn.send({ data: 'late' })).toThrow(/connection c1 \(GET \/short\) has ended: closed/);
  });

  test('a wait that times out says what it waited for and shows the journal', async () => {
    vi.useFakeTimers();
    fake.use('GET /lonely', sse.stream(sse.hold()));
    const err = await fake.waitForRequests('GET /lonely', 2, { timeout: 60_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(FakeError);
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toBe('polysse fake: waiting for 2 requests to GET /lonely: timed out after 60000 ms (the journal is empty)');
  });

  test('the sse builders produce the script format', () => {
    expect(sse.route('GET /jobs/{id}/events', [
      sse.times(2, sse.respond(503, { headers: { 'Retry-After': '1' }, body: 'busy' })),
      sse.delay(100, sse.stream(sse.event({ type: 'progress', id: '1', data: { pct: 50 } }), sse.wait(1000), sse.comment('still working'), sse.complete('{"ok":true}'))),
    ], { heartbeat: 15_000, reconnectionTime: 1000, name: 'job events' })).toEqual({
      route: 'GET /jobs/{id}/events',
      name: 'job events',
      options: { heartbeat: 15000, reconnectionTime: 1000 },
      answers: [
        { times: 2, respond: { status: 503, headers: { 'Retry-After': '1' }, body: 'busy' } },
        { delay: 100, stream: [{ event: { type: 'progress', id: '1', data: { pct: 50 } } }, { wait: 1000 }, { comment: 'still working' }, { complete: '{"ok":true}' }] },
      ],
    });
    expect(sse.raw(new Uint8Array([0xef, 0xbb, 0xbf]))).toEqual({ rawBase64: '77u/' });
    expect(sse.repeat(null, sse.event({ id: '{i}', data: 'tick {i}' }), sse.wait(700))).toEqual({
      repeat: null, steps: [{ event: { id: '{i}', data: 'tick {i}' } }, { wait: 700 }],
    });
    expect([sse.end(), sse.drop(), sse.hold(), sse.networkError(), sse.heartbeat()]).toEqual(['end', 'drop', 'hold', { drop: true }, { comment: '' }]);
  });
});
