// polysse's extension scenarios, shared by the Chromium suite (browser.test.mjs, which runs
// them inside a page) and the Node suite (node.test.mjs). Each scenario has run(env), which
// drives polysse's EventSource against the scenario server and resolves with plain data
// (it runs in a page or in Node), and check(result, assert), which asserts on that data in
// Node with node:assert/strict.
//
// env: { EventSource, base (the scenario server's URL, ending with '/'), tag (a prefix for
// run ids), browser (true in a page) }.

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function makeEnv(env) {
  let n = 0;
  const sid = (name) => `${env.tag}-${name}-${++n}-${Math.random().toString(36).slice(2, 8)}`;
  const url = (path, id) => `${env.base}sse/${path}${path.includes('?') ? '&' : '?'}sid=${encodeURIComponent(id)}`;
  const log = async (id, { min = 0, settled = true, wait = 5000 } = {}) => {
    const q = `sid=${encodeURIComponent(id)}&min=${min}&wait=${wait}${settled ? '&settled=1' : ''}`;
    const r = await fetch(`${env.base}log?${q}`);
    return r.json();
  };
  return { ...env, sid, url, log };
}

// record listens to es until its close event (polysse always fires exactly one), then
// waits settle ms more for anything that should not come, and resolves with what it saw.
// The harness calls close() inside the listener of the event whose data is stopOn.
function record(es, { types = [], stopOn = 'END', timeout = 10000, settle = 150, onEvent } = {}) {
  return new Promise((resolve) => {
    const r = { events: [], errors: [], closes: [], timedOut: false };
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      setTimeout(() => resolve(r), settle);
    };
    const timer = setTimeout(() => {
      r.timedOut = true;
      es.close();
      finish();
    }, timeout);
    const onAny = (e) => {
      const o = { type: e.type, readyState: es.readyState };
      if (e.type !== 'open') {
        o.data = e.data;
        o.lastEventId = e.lastEventId;
      }
      r.events.push(o);
      if (onEvent) onEvent(e, es, r);
      if (stopOn !== null && e.data === stopOn) es.close();
    };
    for (const t of new Set(['open', 'message', ...types])) es.addEventListener(t, onAny);
    es.addEventListener('error', (e) => {
      const o = {
        type: 'error', readyState: es.readyState, status: e.status ?? null,
        statusText: e.statusText ?? null, attempt: e.attempt ?? null, retryIn: e.retryIn ?? null,
        message: e.message ?? null,
      };
      r.events.push(o);
      r.errors.push(o);
      if (onEvent) onEvent(e, es, r);
    });
    es.addEventListener('close', (e) => {
      r.closes.push({
        reason: e.reason, fatal: e.fatal, status: e.status ?? null, statusText: e.statusText ?? null,
        isLocal: e.isLocal, data: e.data ?? null, message: e.message ?? null, readyState: es.readyState,
      });
      r.events.push({ type: 'close' });
      finish();
    });
  });
}

const view = (reqs) => reqs.map((q) => ({
  method: q.method, path: q.path, query: q.query, status: q.status,
  lastEventId: q.header['Last-Event-Id'] ?? null, clientGone: q.clientGone,
}));

const types = (r) => r.events.map((e) => e.type);

// assertOneClose checks that exactly one close event fired, with the given fields.
function assertOneClose(r, assert, want) {
  assert.equal(r.timedOut, false, 'the run timed out');
  assert.equal(r.closes.length, 1, `close events: ${JSON.stringify(r.closes)}`);
  const c = r.closes[0];
  for (const [k, v] of Object.entries(want)) assert.deepEqual(c[k], v, `close.${k} (close event ${JSON.stringify(c)})`);
  assert.equal(c.readyState, 2);
  assert.equal(r.events.at(-1).type, 'close', `events after close: ${JSON.stringify(r.events)}`);
}

// nextEvent resolves with the next event of type on target.
const nextEvent = (target, type) => new Promise((resolve) => target.addEventListener(type, resolve, { once: true }));

// fakeVisibility overrides document.visibilityState and document.hidden (a page cannot be
// hidden for real in headless Chromium); set(state) changes them and fires visibilitychange.
function fakeVisibility() {
  let state = 'visible';
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => state === 'hidden' });
  return {
    set(s) {
      state = s;
      document.dispatchEvent(new Event('visibilitychange'));
    },
    restore() {
      delete document.visibilityState;
      delete document.hidden;
    },
  };
}

const classifyRetry = (r) => {
  if (r.status === 503 || r.status === 429) return 'retry';
  if (r.status === 200 && /^text\/event-stream\b/i.test(r.headers.get('content-type') || '')) return 'open';
  return 'fatal';
};

export const scenarios = {
  'classify: 401 is fatal, one request': {
    async run(env) {
      const id = env.sid('c401');
      const es = new env.EventSource(env.url('status?code=401', id), {
        classify: (r) => (r.status === 401 ? 'fatal' : classifyRetry(r)),
        retry: { initial: 20 },
      });
      const r = await record(es);
      await sleep(100);
      return { r, log: await env.log(id) };
    },
    check({ r, log }, assert) {
      assertOneClose(r, assert, { reason: 'http-status', fatal: true, status: 401, isLocal: false });
      assert.deepEqual(types(r), ['error', 'close']);
      assert.deepEqual(r.errors.map((e) => [e.readyState, e.status, e.statusText]), [[2, 401, 'Unauthorized']]);
      assert.equal(log.length, 1, 'exactly one request');
      assert.equal(log[0].status, 401);
    },
  },

  'classify: 503 retried with backoff, then the stream opens': {
    async run(env) {
      const id = env.sid('r503');
      const es = new env.EventSource(env.url('status?code=503&times=2&then=events', id), {
        classify: classifyRetry,
        retry: { initial: 50, multiplier: 2, jitter: 0 },
      });
      const r = await record(es);
      return { r, log: await env.log(id) };
    },
    check({ r, log }, assert) {
      assertOneClose(r, assert, { reason: 'local', fatal: false, isLocal: true });
      assert.deepEqual(r.errors.map((e) => [e.readyState, e.status, e.attempt, e.retryIn]),
        [[0, 503, 1, 50], [0, 503, 2, 100]]);
      assert.deepEqual(types(r).slice(0, 3), ['error', 'error', 'open']);
      assert.deepEqual(log.map((q) => q.status), [503, 503, 200]);
      assert.equal(r.events.filter((e) => e.type === 'message').at(-1).data, 'END');
    },
  },

  'retry.maxAttempts: gives up with retry-limit': {
    async run(env) {
      const id = env.sid('limit');
      const es = new env.EventSource(env.url('status?code=503', id), {
        classify: classifyRetry,
        retry: { initial: 20, maxAttempts: 2, jitter: 0 },
      });
      const r = await record(es);
      await sleep(100);
      return { r, log: await env.log(id) };
    },
    check({ r, log }, assert) {
      assertOneClose(r, assert, { reason: 'retry-limit', fatal: true, status: 503 });
      assert.deepEqual(r.errors.map((e) => [e.readyState, e.attempt]), [[0, 1], [0, 2], [2, 3]]);
      assert.equal(log.length, 3, 'the first attempt and two retries');
    },
  },

  'network error: error event with attempt and retryIn, then reconnect': {
    async run(env) {
      const id = env.sid('drop');
      const es = new env.EventSource(env.url('drop?times=2&then=events', id), {
        retry: { initial: 30, multiplier: 2, jitter: 0 },
      });
      const r = await record(es);
      return { r, log: await env.log(id) };
    },
    check({ r, log }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.deepEqual(r.errors.map((e) => [e.readyState, e.status, e.attempt, e.retryIn]),
        [[0, null, 1, 30], [0, null, 2, 60]]);
      assert.deepEqual(log.map((q) => q.status), [0, 0, 200]);
    },
  },

  'heartbeatTimeout (fixed): a stalled stream is aborted and resumed': {
    async run(env) {
      const id = env.sid('hbfixed');
      const es = new env.EventSource(env.url('stall?times=1&then=events', id), { heartbeatTimeout: 300 });
      const r = await record(es);
      return { r, log: await env.log(id) };
    },
    check({ r, log }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.deepEqual(types(r).slice(0, 4), ['open', 'message', 'error', 'open']);
      assert.equal(r.errors.length, 1);
      assert.equal(r.errors[0].readyState, 0);
      assert.equal(r.errors[0].attempt, 1);
      assert.equal(r.errors[0].retryIn, 50, 'the stream\'s retry field');
      assert.deepEqual(view(log).map((q) => [q.path, q.lastEventId, q.clientGone]),
        [['/sse/stall', null, true], ['/sse/stall', 's1', true]]);
    },
  },

  'heartbeatTimeout auto: uses SSE-Heartbeat-Interval plus a third': {
    async run(env) {
      const id = env.sid('hbauto');
      const es = new env.EventSource(env.url('stall?announce=300&times=1&then=events', id), { heartbeatTimeout: 'auto' });
      const r = await record(es);
      return { r, log: await env.log(id) };
    },
    check({ r, log }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.deepEqual(types(r).slice(0, 4), ['open', 'message', 'error', 'open']);
      assert.deepEqual(view(log).map((q) => [q.lastEventId, q.clientGone]), [[null, true], ['s1', true]]);
    },
  },

  'heartbeatTimeout auto: heartbeats keep a quiet stream open': {
    async run(env) {
      const id = env.sid('hbalive');
      // Heartbeats every 500 ms (timeout 666 ms); END after 1.6 s of heartbeats only.
      const es = new env.EventSource(env.url('heartbeat?interval=500&for=1600', id), { heartbeatTimeout: 'auto' });
      const r = await record(es);
      return { r, log: await env.log(id) };
    },
    check({ r, log }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.deepEqual(types(r), ['open', 'message', 'message', 'close']);
      assert.equal(log.length, 1, 'no reconnect');
    },
  },

  'completeEvent: closes with reason complete, no second request': {
    async run(env) {
      const id = env.sid('complete');
      const es = new env.EventSource(env.url('complete?data=%7B%22ok%22%3Atrue%7D', id), {
        completeEvent: 'complete',
      });
      const r = await record(es, { types: ['complete'] });
      await sleep(300); // the stream's retry is 100 ms: a reconnect would have come by now
      return { r, log: await env.log(id) };
    },
    check({ r, log }, assert) {
      assertOneClose(r, assert, { reason: 'complete', fatal: false, isLocal: false, data: '{"ok":true}' });
      assert.deepEqual(types(r), ['open', 'message', 'complete', 'close']);
      assert.equal(r.errors.length, 0);
      assert.equal(log.length, 1, 'no second request');
    },
  },

  'without completeEvent: the reconnect gets 204 SSE-Outcome complete': {
    async run(env) {
      const id = env.sid('complete204');
      const es = new env.EventSource(env.url('complete?data=done', id));
      const r = await record(es, { types: ['complete'] });
      return { r, log: await env.log(id) };
    },
    check({ r, log }, assert) {
      assertOneClose(r, assert, { reason: 'complete', fatal: false, status: 204, isLocal: false });
      const complete = r.events.find((e) => e.type === 'complete');
      assert.equal(complete.data, 'done');
      assert.deepEqual(types(r).slice(0, 4), ['open', 'message', 'complete', 'error']);
      assert.equal(log.length, 2);
      assert.equal(log[1].status, 204);
      assert.equal(log[1].header['Last-Event-Id'], complete.lastEventId, 'the reconnect redeems the token');
    },
  },

  'fatalEvent: closes with reason fatal and its data': {
    async run(env) {
      const id = env.sid('fatal');
      const es = new env.EventSource(env.url('fatal?data=boom', id), { fatalEvent: 'fatal' });
      const r = await record(es, { types: ['fatal'] });
      await sleep(300);
      return { r, log: await env.log(id) };
    },
    check({ r, log }, assert) {
      assertOneClose(r, assert, { reason: 'fatal', fatal: true, isLocal: false, data: 'boom' });
      assert.deepEqual(types(r).filter((t) => t !== 'error'), ['open', 'message', 'fatal', 'close']);
      assert.equal(log.length, 1, 'no second request');
    },
  },

  'without fatalEvent: the reconnect gets 204 SSE-Outcome fatal': {
    async run(env) {
      const id = env.sid('fatal204');
      const es = new env.EventSource(env.url('fatal?data=boom', id));
      const r = await record(es, { types: ['fatal'] });
      return { r, log: await env.log(id) };
    },
    check({ r, log }, assert) {
      assertOneClose(r, assert, { reason: 'fatal', fatal: true, status: 204 });
      assert.equal(log.length, 2);
      assert.equal(log[1].status, 204);
    },
  },

  'headers: a sync function is called once per attempt': {
    async run(env) {
      const id = env.sid('hdrsync');
      let calls = 0;
      const es = new env.EventSource(env.url('reconnect', id), {
        headers: () => ({ 'X-Attempt': String(++calls), Authorization: 'Bearer t0k' }),
      });
      const r = await record(es);
      return { r, calls, log: await env.log(id) };
    },
    check({ r, calls, log }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.equal(calls, 3);
      assert.deepEqual(log.map((q) => [q.header['X-Attempt'], q.header.Authorization, q.header['Last-Event-Id'] ?? null]),
        [['1', 'Bearer t0k', null], ['2', 'Bearer t0k', 'é1'], ['3', 'Bearer t0k', '2']]);
      assert.deepEqual(log.map((q) => [q.header.Accept, q.header['Cache-Control']]),
        Array(3).fill(['text/event-stream', 'no-cache']));
    },
  },

  'headers: an async function (a Promise) is awaited per attempt': {
    async run(env) {
      const id = env.sid('hdrasync');
      let calls = 0;
      const es = new env.EventSource(env.url('reconnect', id), {
        headers: async () => {
          const n = ++calls;
          await sleep(20);
          return new Headers({ 'X-Attempt': String(n) });
        },
      });
      const r = await record(es);
      return { r, calls, log: await env.log(id) };
    },
    check({ r, calls, log }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.equal(calls, 3);
      assert.deepEqual(log.map((q) => q.header['X-Attempt']), ['1', '2', '3']);
    },
  },

  'headers: an object, sent on every attempt': {
    async run(env) {
      const id = env.sid('hdrobj');
      const es = new env.EventSource(env.url('reconnect', id), { headers: { 'X-Static': 'yes' } });
      const r = await record(es);
      return { r, log: await env.log(id) };
    },
    check({ r, log }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.deepEqual(log.map((q) => q.header['X-Static']), ['yes', 'yes', 'yes']);
    },
  },

  'POST with a JSON body': {
    async run(env) {
      const id = env.sid('post');
      const body = JSON.stringify({ query: 'events', n: 1, s: 'é' });
      const es = new env.EventSource(env.url('events', id), {
        method: 'POST', body, headers: { 'Content-Type': 'application/json' },
      });
      const r = await record(es);
      return { r, body, log: await env.log(id) };
    },
    check({ r, body, log }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.equal(log.length, 1);
      assert.equal(log[0].method, 'POST');
      assert.equal(log[0].body, body);
      assert.equal(log[0].header['Content-Type'], 'application/json');
      assert.equal(log[0].header.Accept, 'text/event-stream');
    },
  },

  'POST body on every reconnect': {
    async run(env) {
      const id = env.sid('postre');
      const es = new env.EventSource(env.url('reconnect', id), {
        method: 'post', body: new TextEncoder().encode('{"a":1}'), headers: { 'Content-Type': 'application/json' },
      });
      const r = await record(es);
      return { r, log: await env.log(id) };
    },
    check({ r, log }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.deepEqual(log.map((q) => [q.method, q.body]), Array(3).fill(['POST', '{"a":1}']));
    },
  },

  'custom fetch: used for every attempt': {
    async run(env) {
      const id = env.sid('fetch');
      const calls = [];
      const es = new env.EventSource(env.url('reconnect', id), {
        fetch: (input, init) => {
          calls.push({ url: String(input), method: init.method });
          const headers = new Headers(init.headers);
          headers.set('X-Via', 'custom fetch');
          return globalThis.fetch(input, { ...init, headers });
        },
      });
      const r = await record(es);
      return { r, calls, log: await env.log(id) };
    },
    check({ r, calls, log }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.equal(calls.length, 3);
      assert.equal(log.length, 3);
      assert.ok(calls.every((c) => c.url.includes('/sse/reconnect?') && c.method === 'GET'), JSON.stringify(calls));
      assert.deepEqual(log.map((q) => q.header['X-Via']), Array(3).fill('custom fetch'));
    },
  },

  'globalThis.fetch is looked up at each attempt (interceptors installed later)': {
    async run(env) {
      const id = env.sid('latefetch');
      const original = globalThis.fetch;
      let seen = 0;
      let es;
      const r = await (async () => {
        es = new env.EventSource(env.url('reconnect', id));
        return record(es, {
          onEvent: (e) => {
            if (e.type === 'message' && e.data === 'first') {
              globalThis.fetch = (input, init) => { seen++; return original(input, init); };
            }
          },
        });
      })().finally(() => { globalThis.fetch = original; });
      return { r, seen, log: await env.log(id) };
    },
    check({ r, seen, log }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.equal(log.length, 3);
      assert.equal(seen, 2, 'the two reconnects went through the fetch installed later');
    },
  },

  // A batch that is not all ASCII has each string decoded on its own, short ones by their
  // char codes when they are ASCII: every type, id and data must come out as sent.
  'a batch with non-ASCII text: types, ids and data come out as sent': {
    async run(env) {
      const long = 'i'.repeat(40);
      const body = 'event: update\nid: 1\ndata: café\n\n' +
        'id: é2\ndata: plain\n\n' +
        'event: naïve\nid: 3\ndata: 日本\ndata: 😀\n\n' +
        `id: ${long}\ndata: a\n\n` +
        'event: x\nid: 12345678901234567890123456789012\ndata: ü\n\n' +
        'id: 123456789012345678901234567890123\ndata: END\n\n';
      const fetch = async () => new Response(body, { headers: { 'Content-Type': 'text/event-stream' } });
      const es = new env.EventSource('http://batch.test/stream', { fetch });
      const r = await record(es, { types: ['update', 'naïve', 'x'] });
      return r.events.filter((e) => e.type !== 'open' && e.type !== 'close')
        .map((e) => [e.type, e.lastEventId.length > 20 ? `${e.lastEventId.length}` : e.lastEventId, e.data]);
    },
    check(events, assert) {
      assert.deepEqual(events, [
        ['update', '1', 'café'],
        ['message', 'é2', 'plain'],
        ['naïve', '3', '日本\n😀'],
        ['message', '40', 'a'],
        ['x', '32', 'ü'],
        ['message', '33', 'END'],
      ]);
    },
  },

  'lastEventIdQueryParameter: the id also travels in the query': {
    async run(env) {
      const id = env.sid('idquery');
      const es = new env.EventSource(env.url('reconnect', id), { lastEventIdQueryParameter: 'lastEventId' });
      const r = await record(es);
      return { r, url: es.url, log: await env.log(id) };
    },
    check({ r, url, log }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.ok(!url.includes('lastEventId'), 'the url attribute is the one given');
      assert.deepEqual(log.map((q) => new URLSearchParams(q.query).get('lastEventId')), [null, 'é1', '2']);
      assert.deepEqual(log.map((q) => q.header['Last-Event-Id'] ?? null), [null, 'é1', '2']);
    },
  },

  'retry field: honoured as the initial backoff': {
    async run(env) {
      const id = env.sid('retryfield');
      const es = new env.EventSource(env.url('reconnect?retry=70', id), { retry: { initial: 5000, jitter: 0 } });
      const r = await record(es);
      return { r, log: await env.log(id) };
    },
    check({ r }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.deepEqual(r.errors.map((e) => e.retryIn), [70, 70]);
    },
  },

  'close(): from an error listener during backoff, no reconnect': {
    async run(env) {
      const id = env.sid('closebackoff');
      const es = new env.EventSource(env.url('reconnect', id));
      const r = await record(es, {
        onEvent: (e, src) => { if (e.type === 'error') setTimeout(() => src.close(), 20); },
      });
      await sleep(300);
      return { r, log: await env.log(id) };
    },
    check({ r, log }, assert) {
      assertOneClose(r, assert, { reason: 'local', isLocal: true, fatal: false });
      assert.deepEqual(types(r), ['open', 'message', 'error', 'close']);
      assert.equal(log.length, 1);
    },
  },

  'openWhenHidden: false disconnects while hidden, reconnects when visible': {
    browserOnly: true,
    async run(env) {
      const vis = fakeVisibility();
      try {
        const id = env.sid('hidden');
        const es = new env.EventSource(env.url('hold?retry=50', id), { openWhenHidden: false });
        const done = record(es, { stopOn: 'attempt 2' });
        await nextEvent(es, 'message');
        vis.set('hidden');
        const stateHidden = es.readyState;
        const logHidden = await env.log(id, { min: 1, settled: true }); // the request was aborted
        await sleep(200); // no reconnect while hidden
        const logStillHidden = await env.log(id, { settled: false });
        vis.set('visible');
        const r = await done;
        return { r, stateHidden, logHidden, logStillHidden, log: await env.log(id) };
      } finally {
        vis.restore();
      }
    },
    check({ r, stateHidden, logHidden, logStillHidden, log }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.equal(stateHidden, 0, 'CONNECTING while hidden');
      assert.deepEqual(view(logHidden).map((q) => q.clientGone), [true]);
      assert.equal(logStillHidden.length, 1, 'no request while hidden');
      assert.deepEqual(r.events.filter((e) => e.type === 'message').map((e) => e.data), ['attempt 1', 'attempt 2']);
      assert.deepEqual(view(log).map((q) => q.lastEventId), [null, 'h1']);
    },
  },

  'openWhenHidden: false created while hidden connects once visible': {
    browserOnly: true,
    async run(env) {
      const vis = fakeVisibility();
      try {
        vis.set('hidden');
        const id = env.sid('bornhidden');
        const es = new env.EventSource(env.url('hold', id), { openWhenHidden: false });
        const done = record(es, { stopOn: 'attempt 1' });
        const state = es.readyState;
        await sleep(300);
        const logHidden = await env.log(id, { settled: false });
        vis.set('visible');
        const r = await done;
        return { r, state, logHidden, log: await env.log(id) };
      } finally {
        vis.restore();
      }
    },
    check({ r, state, logHidden, log }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.equal(state, 0);
      assert.equal(logHidden.length, 0, 'no request while hidden');
      assert.equal(log.length, 1);
    },
  },

  'openWhenHidden: default true keeps the connection while hidden': {
    browserOnly: true,
    async run(env) {
      const vis = fakeVisibility();
      try {
        const id = env.sid('hiddenok');
        const es = new env.EventSource(env.url('hold', id));
        const done = record(es, { stopOn: null });
        await nextEvent(es, 'message');
        vis.set('hidden');
        await sleep(200);
        const state = es.readyState;
        es.close();
        const r = await done;
        return { r, state, log: await env.log(id) };
      } finally {
        vis.restore();
      }
    },
    check({ r, state, log }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.equal(state, 1, 'still OPEN while hidden');
      assert.equal(log.length, 1);
    },
  },

  // The messages of error and close events are for users: no Go package prefixes
  // ("jsbridge:", "sse:"), no JavaScript error class names, no bare "EOF"; and a stream
  // that opened and then ended or dropped is not reported with the status 200 that
  // opened it.
  'messages: a normal end and a drop carry no status and no internals': {
    async run(env) {
      const endID = env.sid('msgend');
      const end = await record(new env.EventSource(env.url('reconnect?retry=20', endID)));
      const dropID = env.sid('msgdrop');
      const drop = await record(new env.EventSource(env.url('raw?script=beforecut&cut=1&gap=50&times=1&then=events', dropID)));
      const refusedID = env.sid('msgrefused');
      const refused = await record(new env.EventSource(env.url('drop?times=1&then=events', refusedID), { retry: { initial: 20 } }));
      return { end, drop, refused, browser: Boolean(env.browser) };
    },
    check({ end, drop, refused, browser }, assert) {
      for (const r of [end, drop, refused]) assertOneClose(r, assert, { reason: 'local', status: 0 });
      assert.deepEqual(end.errors.map((e) => [e.status, e.message]),
        [[null, 'the server ended the response'], [null, 'the server ended the response']]);
      assert.equal(drop.errors.length, 1);
      assert.equal(drop.errors[0].status, null, 'a drop after 200 has no status');
      // Node 20's fetch ends a chunked body that the connection cut short as if it were
      // complete; a browser reports the error.
      assert.match(drop.errors[0].message, browser ? /^connection lost: / : /^(connection lost: |the server ended the response$)/);
      assert.equal(refused.errors.length, 1);
      assert.equal(refused.errors[0].status, null);
      assert.match(refused.errors[0].message, /^request failed: /);
      for (const e of [...end.errors, ...drop.errors, ...refused.errors]) {
        assert.doesNotMatch(e.message, /jsbridge|sse:|TypeError|^EOF$|\n/, `message for users: ${JSON.stringify(e.message)}`);
      }
    },
  },

  'messages: retry-limit after streams that opened reports no status 200': {
    async run(env) {
      const id = env.sid('msglimit');
      // resetAfter keeps the failure count across the two opened streams.
      const es = new env.EventSource(env.url('reconnect?retry=20', id), { retry: { maxAttempts: 1, resetAfter: 60_000, jitter: 0 } });
      return { r: await record(es), log: await env.log(id) };
    },
    check({ r, log }, assert) {
      assertOneClose(r, assert, { reason: 'retry-limit', fatal: true, status: 0, isLocal: false });
      assert.equal(r.closes[0].message, 'the server ended the response');
      assert.deepEqual(r.errors.map((e) => [e.readyState, e.status, e.message]),
        [[0, null, 'the server ended the response'], [2, null, 'the server ended the response']]);
      assert.equal(log.length, 2);
    },
  },

  'messages: a refused response keeps its status; a close says why': {
    async run(env) {
      const id = env.sid('msg401');
      return { r: await record(new env.EventSource(env.url('status?code=401', id))) };
    },
    check({ r }, assert) {
      assertOneClose(r, assert, { reason: 'http-status', fatal: true, status: 401 });
      assert.equal(r.closes[0].statusText, 'Unauthorized');
      assert.deepEqual(r.errors.map((e) => [e.readyState, e.status]), [[2, 401]]);
    },
  },

  'a URL of a scheme fetch cannot serve fails for good, with a message': {
    async run(env) {
      const r = await record(new env.EventSource('ftp://127.0.0.1/x', { retry: { initial: 20 } }));
      return { r };
    },
    check({ r }, assert) {
      assertOneClose(r, assert, { reason: 'network', fatal: true, isLocal: false, status: 0 });
      assert.deepEqual(r.errors.map((e) => e.readyState), [2]);
      assert.match(r.closes[0].message, /^the URL scheme "ftp:" is not supported/);
      assert.equal(r.errors[0].message, r.closes[0].message);
    },
  },

  'a URL the URL standard rejects throws a SyntaxError': {
    async run(env) {
      const out = {};
      for (const u of ['http://this is invalid/', 'http://xn--a/', 'http://[::1/']) {
        try {
          new env.EventSource(u).close();
          out[u] = 'no error';
        } catch (e) {
          out[u] = `${e instanceof DOMException ? 'DOMException' : e.constructor.name} ${e.name}`;
        }
      }
      return { out };
    },
    check({ out }, assert) {
      assert.deepEqual(Object.values(out), Array(3).fill('DOMException SyntaxError'));
    },
  },

  'invalid options throw a TypeError before any request': {
    async run(env) {
      const id = env.sid('badopts');
      const out = {};
      for (const [k, init] of Object.entries({
        getBody: { body: 'x' },
        fetchNotFunction: { fetch: 1 },
        classifyNotFunction: { classify: 'x' },
        negativeRetry: { retry: { initial: -1 } },
        badHeader: { headers: { 'Bad Header': 'x' } },
        badHeartbeat: { heartbeatTimeout: 'sometimes' },
        negativeMin: { retry: { min: -1 } },
        badIdLength: { maxLastEventIdLength: 'long' },
      })) {
        try {
          new env.EventSource(env.url('events', id), init).close();
          out[k] = 'no error';
        } catch (e) {
          out[k] = e.constructor.name;
        }
      }
      await sleep(100);
      return { out, log: await env.log(id) };
    },
    check({ out, log }, assert) {
      assert.deepEqual(out, {
        getBody: 'TypeError', fetchNotFunction: 'TypeError', classifyNotFunction: 'TypeError',
        negativeRetry: 'TypeError', badHeader: 'TypeError', badHeartbeat: 'TypeError',
        negativeMin: 'TypeError', badIdLength: 'TypeError',
      });
      assert.equal(log.length, 0);
    },
  },

  // ------------------------------------------------ reconnection that can never storm

  // A server that sends retry: 0 and ends each response at once. No delay is shorter than
  // retry.min (default 10 ms): at most 100 reconnects a second, where a client without a
  // floor reconnected as fast as the connection allowed; a backoff grows from the floor.
  'retry: 0 and an empty response: every delay has a floor, a backoff grows from it': {
    async run(env) {
      const runFor = async (name, init, ms) => {
        const id = env.sid(name);
        const es = new env.EventSource(env.url('events?finish=1&retry=0', id), init);
        const r = await record(es, { stopOn: null, timeout: ms, settle: 0 });
        return { r, log: await env.log(id) };
      };
      return {
        plain: await runFor('floor', undefined, 1000),
        backoff: await runFor('backoff', { retry: { multiplier: 2, jitter: 0 } }, 1000),
        min: await runFor('min', { retry: { min: 200 } }, 1000),
      };
    },
    check({ plain, backoff, min }, assert) {
      const retryIns = (r) => r.errors.map((e) => e.retryIn);
      // Timers never fire early: in 1 s, at most 1 + 1000 / 10 requests.
      assert.ok(plain.log.length >= 3 && plain.log.length <= 101, `requests in 1 s: ${plain.log.length}`);
      assert.ok(retryIns(plain.r).every((d) => d === 10), `retryIn: ${retryIns(plain.r)}`);
      assert.deepEqual(retryIns(backoff.r).slice(0, 5), [10, 20, 40, 80, 160]);
      assert.ok(backoff.log.length <= 7, `requests in 1 s with backoff: ${backoff.log.length}`);
      assert.ok(retryIns(min.r).every((d) => d === 200), `retryIn: ${retryIns(min.r)}`);
      assert.ok(min.log.length <= 6, `requests in 1 s with min 200: ${min.log.length}`);
    },
  },

  // A connection counts as healthy after retry.resetAfter (default 5 s): one that opens and
  // ends sooner is a failed attempt, so maxAttempts holds against a server that answers
  // 200 and ends at once (before: maxAttempts 3 allowed 10 connections in 5 s).
  'retry.maxAttempts holds against a server that answers 200 and ends at once': {
    async run(env) {
      const id = env.sid('shortlived');
      const es = new env.EventSource(env.url('events?finish=1&retry=50', id), { retry: { maxAttempts: 2 } });
      const r = await record(es, { stopOn: null });
      await sleep(200);
      const id0 = env.sid('resetat0');
      const es0 = new env.EventSource(env.url('events?finish=1&retry=50', id0), { retry: { maxAttempts: 2, resetAfter: 0 } });
      // Closed at its fourth error: a count of events, not of time, so a slow machine
      // cannot make it fail.
      const r0 = await record(es0, {
        stopOn: null, settle: 0, onEvent: (e, src, rec) => { if (rec.errors.length === 4) src.close(); },
      });
      return { r, log: await env.log(id), r0, log0: await env.log(id0) };
    },
    check({ r, log, r0, log0 }, assert) {
      assertOneClose(r, assert, { reason: 'retry-limit', fatal: true, status: 0, isLocal: false });
      assert.deepEqual(r.errors.map((e) => [e.readyState, e.attempt, e.retryIn]), [[0, 1, 50], [0, 2, 50], [2, 3, null]]);
      assert.equal(log.length, 3, 'the first attempt and two retries');
      // resetAfter: 0, as before: every open resets the count, and the source keeps going.
      assert.equal(r0.timedOut, false, 'four errors before the timeout');
      assert.equal(r0.closes[0].reason, 'local');
      assert.equal(r0.errors.length, 4);
      assert.ok(r0.errors.every((e) => e.attempt === 1), JSON.stringify(r0.errors));
      assert.ok(log0.length >= 4, `requests: ${log0.length}`);
    },
  },

  // The stored last event ID is bounded (maxLastEventIdLength, default 1024 bytes, the
  // longest a polysse server reads): a longer id field is ignored, so lastEventId keeps its
  // previous value and the reconnect sends that.
  'an id longer than maxLastEventIdLength is ignored: lastEventId keeps its value': {
    async run(env) {
      const runWith = async (init, id) => {
        const sent = [];
        const fetch = async (url, opts) => {
          sent.push(new Headers(opts.headers).get('last-event-id'));
          const body = sent.length === 1 ? `id: first\ndata: 1\n\nid: ${id}\ndata: 2\n\n` : 'data: END\n\n';
          return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } });
        };
        const es = new env.EventSource('http://ids.test/stream', { ...init, fetch, retry: { initial: 20 } });
        const r = await record(es);
        return { ids: r.events.filter((e) => e.type === 'message').map((e) => e.lastEventId.length > 20 ? `${e.lastEventId.length} bytes` : e.lastEventId), sent: sent.map((v) => (v && v.length > 20 ? `${v.length} bytes` : v)) };
      };
      return {
        atLimit: await runWith({}, 'x'.repeat(1024)),
        over: await runWith({}, 'x'.repeat(1025)),
        utf8: await runWith({}, 'é'.repeat(513)),
        mib: await runWith({}, 'x'.repeat(1 << 20)),
        custom: await runWith({ maxLastEventIdLength: 8 }, '123456789'),
        customFits: await runWith({ maxLastEventIdLength: 8 }, '12345678'),
      };
    },
    check(r, assert) {
      assert.deepEqual(r.atLimit, { ids: ['first', '1024 bytes', '1024 bytes'], sent: [null, '1024 bytes'] });
      assert.deepEqual(r.over, { ids: ['first', 'first', 'first'], sent: [null, 'first'] });
      assert.deepEqual(r.utf8, { ids: ['first', 'first', 'first'], sent: [null, 'first'] }, '1026 bytes of UTF-8');
      assert.deepEqual(r.mib, { ids: ['first', 'first', 'first'], sent: [null, 'first'] });
      assert.deepEqual(r.custom, { ids: ['first', 'first', 'first'], sent: [null, 'first'] });
      assert.deepEqual(r.customFits, { ids: ['first', '12345678', '12345678'], sent: [null, '12345678'] });
    },
  },

  // ------------------------------------------------ what Go SSE clients offer

  'comments: true dispatches comment events in order; without it, none': {
    async run(env) {
      const id = env.sid('comments');
      const r = await record(new env.EventSource(env.url('events', id), { comments: true }), { types: ['named', 'comment'] });
      const idOff = env.sid('nocomments');
      const off = await record(new env.EventSource(env.url('events', idOff)), { types: ['named', 'comment'] });
      const idHb = env.sid('heartbeats');
      const hb = await record(new env.EventSource(env.url('heartbeat?interval=100&for=450', idHb), { comments: true }), { types: ['comment'] });
      return { r, off, hb };
    },
    check({ r, off, hb }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      const seq = r.events.filter((e) => e.type !== 'open' && e.type !== 'close').map((e) => `${e.type}:${e.data}:${e.lastEventId}`);
      assert.deepEqual(seq.slice(-4), ['named:five:1', 'comment:a comment:1', 'named::é2', 'message:END:é2']);
      assert.equal(off.events.filter((e) => e.type === 'comment').length, 0);
      const beats = hb.events.filter((e) => e.type === 'comment');
      assert.ok(beats.length >= 3, `heartbeat comments: ${beats.length}`);
    },
  },

  'restart(): drops the open stream, reconnects at once with the last event ID, no error': {
    async run(env) {
      const id = env.sid('restart');
      const es = new env.EventSource(env.url('hold', id));
      let stateAfter;
      const r = await record(es, {
        stopOn: 'attempt 2',
        onEvent: (e, src) => {
          if (e.type === 'message' && e.data === 'attempt 1') {
            src.restart();
            stateAfter = src.readyState;
          }
        },
      });
      return { r, stateAfter, log: await env.log(id) };
    },
    check({ r, stateAfter, log }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.equal(stateAfter, 0, 'CONNECTING once restart() returns');
      assert.deepEqual(types(r), ['open', 'message', 'open', 'message', 'close']);
      assert.deepEqual(r.events.filter((e) => e.type === 'message').map((e) => e.lastEventId), ['h1', 'h2']);
      assert.deepEqual(view(log).map((q) => [q.lastEventId, q.clientGone]), [[null, true], ['h1', true]]);
    },
  },

  'restart(): inside a listener, the rest of the chunk is dropped': {
    async run(env) {
      const id = env.sid('restartchunk');
      let restarted = false;
      const r = await record(new env.EventSource(env.url('raw?script=twoinone', id)), {
        stopOn: 'C',
        onEvent: (e, src) => {
          if (e.data === 'A' && !restarted) {
            restarted = true;
            src.restart();
          }
        },
      });
      // With ids: the reconnect resumes after the last event dispatched (A), not after the
      // dropped B that the client had received.
      const sent = [];
      const fetch = async (url, opts) => {
        sent.push(new Headers(opts.headers).get('last-event-id'));
        const chunk = new TextEncoder().encode(sent.length === 1 ? 'id: 1\ndata: A\n\nid: 2\ndata: B\n\n' : 'data: END\n\n');
        const body = new ReadableStream({ start(c) { c.enqueue(chunk); } }); // then held open
        return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } });
      };
      const withIds = await record(new env.EventSource('http://ids.test/stream', { fetch }), {
        onEvent: (e, src) => { if (e.data === 'A') src.restart(); },
      });
      return { r, log: await env.log(id), withIds, sent };
    },
    check({ r, log, withIds, sent }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.deepEqual(r.events.filter((e) => e.type === 'message').map((e) => e.data), ['A', 'A', 'B', 'C']);
      assert.equal(r.errors.length, 0);
      assert.equal(log.length, 2);
      assertOneClose(withIds, assert, { reason: 'local' });
      assert.deepEqual(withIds.events.filter((e) => e.type === 'message').map((e) => [e.data, e.lastEventId]), [['A', '1'], ['END', '1']]);
      assert.deepEqual(sent, [null, '1']);
    },
  },

  'restart(): during the wait before a reconnect, connects at once; after close(), nothing': {
    async run(env) {
      const id = env.sid('restartwait');
      const es = new env.EventSource(env.url('drop?times=1&then=events', id), { retry: { initial: 60_000 } });
      const start = Date.now();
      const r = await record(es, {
        onEvent: (e, src) => { if (e.type === 'error') setTimeout(() => src.restart(), 50); },
      });
      const took = Date.now() - start;
      const idClosed = env.sid('restartclosed');
      const closed = new env.EventSource(env.url('events', idClosed));
      closed.close();
      closed.restart();
      const stateClosed = closed.readyState;
      await sleep(200);
      return { r, took, stateClosed, log: await env.log(id), logClosed: await env.log(idClosed, { settled: false }) };
    },
    check({ r, took, stateClosed, log, logClosed }, assert) {
      assertOneClose(r, assert, { reason: 'local' });
      assert.deepEqual(r.errors.map((e) => [e.readyState, e.attempt, e.retryIn]), [[0, 1, 60000]]);
      assert.ok(took < 10_000, `took ${took} ms: the 60 s wait was cut short`);
      assert.deepEqual(log.map((q) => q.status), [0, 200]);
      assert.equal(stateClosed, 2);
      assert.ok(logClosed.length <= 1, 'restart() after close() makes no request');
    },
  },

  'maxEventSize: a larger event closes with event-too-large, after the events before it': {
    async run(env) {
      const id = env.sid('maxsize');
      const r = await record(new env.EventSource(env.url('events', id), { maxEventSize: 10 }));
      await sleep(200);
      return { r, log: await env.log(id) };
    },
    check({ r, log }, assert) {
      assertOneClose(r, assert, { reason: 'event-too-large', fatal: true, isLocal: false, status: 0 });
      assert.deepEqual(r.events.filter((e) => e.type === 'message').map((e) => e.data), ['one']);
      assert.equal(r.closes[0].message, 'an event was larger than maxEventSize');
      assert.equal(log.length, 1, 'no reconnect: the server would send the same event again');
    },
  },
};

// runScenario runs scenario name with env and resolves with its result (or, when run
// throws, { error }).
export async function runScenario(name, env) {
  try {
    return await scenarios[name].run(makeEnv(env));
  } catch (e) {
    return { error: String((e && e.stack) || e) };
  }
}
