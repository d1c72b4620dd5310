// The standalone fake, one conformance suite for both commands: `npx polysse-fake` (Node,
// node:http in front of polysse-fake.wasm: web/dist/polysse-fake.mjs) and the native
// cmd/polysse-fake (Go). The native one runs when POLYSSE_FAKE_NATIVE names its binary
// (scripts/test.d/40-web-fake.sh builds it) or, run directly, when cmd/polysse-fake exists in
// the repository (it is built here then). Each starts as a process on a free port and is
// driven over real HTTP: the script file, CORS, the control API through polysse/fake/remote,
// and how it stops.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectFake, RemoteFakeError, sse } from 'polysse/fake/remote';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const routesFile = join(here, 'fixtures/routes.json');
const tmp = mkdtempSync(join(tmpdir(), 'polysse-fake-test-'));

const faces = [{ name: 'npx polysse-fake (Node)', command: () => [process.execPath, join(root, 'web/dist/polysse-fake.mjs')] }];
let nativeBinary = process.env.POLYSSE_FAKE_NATIVE || '';
if (nativeBinary || existsSync(join(root, 'cmd/polysse-fake'))) {
  faces.push({
    name: 'cmd/polysse-fake (Go)',
    command: () => {
      if (!nativeBinary) {
        nativeBinary = join(tmp, 'polysse-fake');
        execFileSync('go', ['build', '-o', nativeBinary, './cmd/polysse-fake'], { cwd: root, stdio: 'inherit' });
      }
      return [nativeBinary];
    },
  });
}

/** start runs a face with args and resolves once it printed its URLs. */
async function start(face, args = []) {
  const [cmd, ...pre] = face.command();
  const child = spawn(cmd, [...pre, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.setEncoding('utf8');
  let out = '';
  const line = await new Promise((resolveLine, reject) => {
    const onData = (d) => {
      out += d;
      const i = out.indexOf('\n');
      if (i >= 0) {
        child.stdout.off('data', onData);
        resolveLine(out.slice(0, i));
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${face.name} exited (${code}) before printing its URL: ${stderr}`)));
  });
  const info = JSON.parse(line);
  return {
    ...info,
    child,
    line,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** text reads a body to its end, or to the network error that cuts it: { text, error }. */
async function read(res) {
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let t = '';
  try {
    for (let r; !(r = await reader.read()).done;) t += dec.decode(r.value, { stream: true });
    return { text: t, error: null };
  } catch (error) {
    return { text: t, error };
  }
}

/** readUntil reads a body until it holds want (the stream stays open), then cancels it. */
async function readUntil(res, want) {
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let t = '';
  while (!t.includes(want)) {
    const r = await reader.read();
    if (r.done) break;
    t += dec.decode(r.value, { stream: true });
  }
  return { text: t, reader };
}

describe.each(faces)('$name', (face) => {
  let fake;
  beforeAll(async () => {
    fake = await start(face, ['--routes', routesFile, '--port', '0']);
  }, 120_000);
  afterAll(() => fake && fake.stop());

  test('prints one JSON line with its URL and control URL; /health answers', async () => {
    expect(fake.line).toMatch(/^\{"(url|control)":"http:\/\/127\.0\.0\.1:\d+(\/__polysse)?","(url|control)":"[^"]+"\}$/);
    expect(fake.control).toBe(`${fake.url}/__polysse`);
    const health = await (await fetch(`${fake.control}/health`)).json();
    expect(health).toMatchObject({ ok: true, version: expect.any(String) });
    expect(await (await fetch(`${fake.url}/`)).text()).toContain('polysse fake');
  });

  test('serves the script file: a drop is a network error, the reconnect carries Last-Event-ID, completion answers the next reconnect 204', async () => {
    const s = await connectFake(fake.url);
    try {
      const first = await read(await fetch(`${s.baseURL}/jobs/7/events`));
      expect(first.text).toBe(': ok\nretry: 100\nid: 1\nevent: progress\ndata: {"job":"7","pct":50}\n\n');
      expect(first.error).toBeInstanceOf(TypeError); // cut mid-response
      const second = await read(await fetch(`${s.baseURL}/jobs/7/events`, { headers: { 'Last-Event-ID': '1' } }));
      const token = /id: ([0-9a-f-]{36})\nevent: complete\ndata: \{"ok":true\}\n\n$/.exec(second.text)[1];
      expect(second.text).toContain('id: 2\nevent: progress\ndata: after 1\n\n');
      const third = await fetch(`${s.baseURL}/jobs/7/events`, { headers: { 'Last-Event-ID': token } });
      expect([third.status, third.headers.get('sse-outcome')]).toEqual([204, 'complete']);
      const journal = await s.requests('GET /jobs/{id}/events');
      expect(journal.map((e) => [e.attempt, e.status, e.outcome, e.lastEventId])).toEqual([
        [1, 200, 'dropped', null], [2, 200, 'ended', '1'], [3, 204, 'refused', token],
      ]);
      expect(journal[0]).toMatchObject({ scope: s.scope, method: 'GET', path: '/jobs/7/events' });
    } finally {
      await s.dispose();
    }
  });

  test('answers CORS for a page on another origin: preflights, the Origin echoed with credentials, SSE headers exposed', async () => {
    const origin = 'http://app.example.test';
    const pre = await fetch(`${fake.url}/feed`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'last-event-id, authorization' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
    expect(pre.headers.get('access-control-allow-methods')).toBe('GET');
    expect(pre.headers.get('access-control-allow-headers')).toBe('last-event-id, authorization');
    const ac = new AbortController();
    const res = await fetch(`${fake.url}/feed`, { headers: { Origin: origin }, signal: ac.signal });
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-expose-headers')).toBe('SSE-Heartbeat-Interval, SSE-Outcome, SSE-Replay, Retry-After');
    const { text, reader } = await readUntil(res, 'data: hello');
    expect(text).toBe(': ok\ndata: hello\n\n');
    await reader.cancel();
    // The control API allows any origin.
    const ctl = await fetch(`${fake.control}/health`, { headers: { Origin: origin } });
    expect(ctl.headers.get('access-control-allow-origin')).toBe('*');
  });

  test('the control API drives a scope: use, next, send, raw, broadcast, drop, complete, requests, connections, reset', async () => {
    const s = await connectFake(fake.url);
    const other = await connectFake(fake.url);
    try {
      expect(s.baseURL).toBe(`${fake.url}/s/${s.scope}`);
      expect(other.scope).not.toBe(s.scope);
      await s.use('GET /feed', sse.stream(sse.event({ data: 'override' }), sse.hold()), { heartbeat: 0 });
      await s.next('GET /feed', sse.respond(401, { headers: { 'WWW-Authenticate': 'Bearer' }, body: 'who?' }));
      const denied = await fetch(`${s.baseURL}/feed`);
      expect([denied.status, denied.headers.get('www-authenticate'), await denied.text()]).toEqual([401, 'Bearer', 'who?']);

      const a = await fetch(`${s.baseURL}/feed?who=a`);
      const b = await fetch(`${s.baseURL}/feed?who=b`);
      const ra = await readUntil(a, 'data: override');
      const rb = await readUntil(b, 'data: override');
      // A connection's id is given when its stream starts, which two requests may reach in
      // either order: pair them by attempt.
      const conns = (await s.connections('GET /feed')).sort((x, y) => x.attempt - y.attempt);
      expect(conns.map((c) => [c.attempt, c.open])).toEqual([[2, true], [3, true]]);
      expect(conns.map((c) => c.id).sort()).toEqual(['c2', 'c3']);
      const ca = await s.waitForConnection('GET /feed', { attempt: 2 });
      await ca.send({ type: 'note', id: '9', data: 'just a' });
      await ca.raw('data: h', new Uint8Array([0xc3]), new Uint8Array([0xa9]), '\n\n');
      expect(await s.broadcast('GET /feed', { data: 'all' })).toBe(2);
      const dec = new TextDecoder();
      let ta = '';
      while (!ta.includes('data: all')) ta += dec.decode((await ra.reader.read()).value, { stream: true });
      expect(ta).toBe('id: 9\nevent: note\ndata: just a\n\ndata: hé\n\ndata: all\n\n');
      let tb = '';
      while (!tb.includes('data: all')) tb += dec.decode((await rb.reader.read()).value, { stream: true });
      expect(tb).toBe('data: all\n\n');
      await ca.drop();
      await expect(ra.reader.read()).rejects.toThrow(TypeError);
      expect(await s.waitForDisconnect(ca)).toBe('dropped');
      const cb = s.conn(conns[1].id, 'GET /feed');
      await cb.complete({ done: true });
      let rest = '';
      for (let r; !(r = await rb.reader.read()).done;) rest += dec.decode(r.value, { stream: true });
      expect(rest).toMatch(/^id: [0-9a-f-]{36}\nevent: complete\ndata: \{"done":true\}\n\n$/);
      await expect(cb.send({ data: 'late' })).rejects.toMatchObject({ status: 409 });
      await expect(s.conn('c99').send({ data: 'x' })).rejects.toMatchObject({ status: 404 });
      await expect(s.use('GET /bad', { stream: [{ commnet: 'typo' }] })).rejects.toThrow(/400: script: .*unknown step "commnet"/);

      // Scopes keep tests apart: the other scope saw none of it, and serves the file's route.
      expect(await other.requests()).toEqual([]);
      const plain = await readUntil(await fetch(`${other.baseURL}/feed`), 'data: hello');
      expect(plain.text).toBe(': ok\ndata: hello\n\n');
      await plain.reader.cancel();
      expect((await s.requests('GET /feed')).map((e) => e.status)).toEqual([401, 200, 200]);
      await s.reset();
      expect(await s.requests()).toEqual([]);
      const back = await readUntil(await fetch(`${s.baseURL}/feed`), 'data: hello'); // the override is gone
      await back.reader.cancel();
      expect(await s.waitForRequests('GET /feed', 1)).toHaveLength(1);
      await expect(s.waitForRequests('GET /feed', 5, { timeout: 200 })).rejects.toThrow(RemoteFakeError);
    } finally {
      await s.dispose();
      await other.dispose();
    }
    await expect(s.requests()).rejects.toMatchObject({ status: 404 });
  });

  test('publish goes through the route servers: live streams get it, a resume replays it', async () => {
    const s = await connectFake(fake.url);
    try {
      const live = await fetch(`${s.baseURL}/news`);
      const r = await readUntil(live, ': ok\n');
      await s.waitForConnection('GET /news');
      const ids = [...(await s.publish('news', { data: 'a' })), ...(await s.publish('news', { data: 'b' }))];
      expect(ids).toHaveLength(2);
      const dec = new TextDecoder();
      let t = r.text.slice(': ok\n'.length);
      while (!t.includes('data: b')) t += dec.decode((await r.reader.read()).value, { stream: true });
      // The stream's start position (an event with only an id: the position before the
      // first publish), then the events.
      const start = ids[0].replace(/-1$/, '-0');
      expect(t).toBe(`id: ${start}\n\nid: ${ids[0]}\ndata: a\n\nid: ${ids[1]}\ndata: b\n\n`);
      await r.reader.cancel();
      const resumed = await fetch(`${s.baseURL}/news`, { headers: { 'Last-Event-ID': ids[0] } });
      expect(resumed.headers.get('sse-replay')).toBe('complete');
      const rr = await readUntil(resumed, 'data: b');
      expect(rr.text).toBe(`: ok\nid: ${ids[1]}\ndata: b\n\n`);
      await rr.reader.cancel();
    } finally {
      await s.dispose();
    }
  });

  test('stops on SIGTERM, on SIGINT, and when its standard input (a pipe) ends', async () => {
    for (const how of ['SIGTERM', 'SIGINT', 'stdin']) {
      const p = await start(face, ['--port', '0', '--routes', routesFile]);
      const held = await fetch(`${p.url}/feed`); // an open stream must not keep it up
      await readUntil(held, 'data: hello');
      const exited = once(p.child, 'exit');
      if (how === 'stdin') p.child.stdin.end();
      else p.child.kill(how);
      const [code, signal] = await exited;
      expect([how, code, signal]).toEqual([how, 0, null]);
    }
  });

  test('a bad flag or script file fails with a message naming it', async () => {
    const bad = join(tmp, 'bad-routes.json');
    writeFileSync(bad, JSON.stringify({ version: 1, routes: [{ route: 'GET /x', answers: [{ stream: [{ commnet: 'typo' }] }] }] }));
    for (const [args, want] of [[['--routes', bad], /unknown step "commnet"/], [['--cors', 'sideways'], /cors/], [['--bogus'], /bogus/]]) {
      const [cmd, ...pre] = face.command();
      const child = spawn(cmd, [...pre, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d) => { stderr += d; });
      const [code] = await once(child, 'exit');
      expect(code).not.toBe(0);
      expect(stderr).toMatch(want);
    }
  });
});
