// polysse fake: the typed client of the standalone fake's control API (a fragment of
// dist/fake-remote.mjs, after sse.js; see scripts/wasm.d/20-fake.sh). It is fetch calls
// and nothing else, so that it runs in Playwright's and Cypress's Node processes and in
// browsers.

/** RemoteFakeError is what the client throws: status is the control API's answer (0: no answer). */
export class RemoteFakeError extends Error {
  constructor(message, status = 0, extra = undefined) {
    super(message);
    this.status = status;
    if (extra) Object.assign(this, extra);
  }
}
Object.defineProperty(RemoteFakeError.prototype, 'name', { value: 'RemoteFakeError', configurable: true, writable: true });

const CONTROL = '/__polysse';

// remoteName returns the name a route argument means.
function remoteName(route) {
  if (route === undefined || route === null) return '';
  if (typeof route === 'string') return route;
  if (typeof route === 'object' && typeof (route.name ?? route.route) === 'string') return route.name ?? route.route;
  throw new TypeError('polysse fake: a route is a name ("GET /feed") or a route');
}

// control makes control API calls on url with fetchFn.
function control(url, fetchFn) {
  const base = new URL(CONTROL, url).href;
  return async (method, path, body, { expectJSON = true } = {}) => {
    let r;
    try {
      r = await fetchFn(base + path, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
      });
    } catch (e) {
      throw new RemoteFakeError(`polysse fake: ${method} ${base}${path}: no answer (${e && e.message ? e.message : e}); is polysse-fake running there?`, 0, { cause: e });
    }
    const text = await r.text();
    if (!r.ok) {
      let msg = text;
      try { msg = JSON.parse(text).error ?? text; } catch { /* not JSON */ }
      throw new RemoteFakeError(`polysse fake: ${method} ${path}: ${r.status}: ${msg}`, r.status);
    }
    return { value: expectJSON && text ? JSON.parse(text) : undefined, headers: r.headers };
  };
}

/** RemoteConn is a connection of the standalone fake. */
class RemoteConn {
  #call;
  #scope;
  constructor(call, scope, info) {
    this.#call = call;
    this.#scope = scope;
    Object.assign(this, info);
  }

  #op(op, body) {
    return this.#call('POST', `/scopes/${this.#scope}/connections/${encodeURIComponent(this.id)}/${op}`, body, { expectJSON: false }).then(() => {});
  }

  /** Sends an event: { type?, id?, data?, retry? }. */
  send(event) { return this.#op('send', event); }
  /** Sends a comment line (no text: a heartbeat). */
  comment(text = '') { return this.#op('comment', { text }); }
  /** Sends each part as a chunk of its own: strings as UTF-8, bytes as they are. */
  async raw(...parts) {
    for (const p of parts.flat()) {
      const b = bytesOfView(p);
      await this.#op('raw', b ? { rawBase64: base64(b) } : { raw: String(p) });
    }
  }
  /** Ends the response cleanly. */
  end() { return this.#op('end'); }
  /** Cuts the connection: a network error for the client. */
  drop() { return this.#op('drop'); }
  /** Ends a stream with a complete event: the reconnect gets 204. */
  complete(data) { return this.#op('complete', data === undefined ? {} : { data }); }
  /** Ends a stream with a fatal event. */
  fail(data) { return this.#op('fail', data === undefined ? {} : { data }); }
}

/** RemoteFake is a scope of a standalone fake (see fake-remote.d.ts). */
class RemoteFake {
  #call;
  #scope;
  constructor(call, url, scope, baseURL) {
    this.#call = call;
    this.#scope = scope;
    this.url = url;
    this.scope = scope;
    this.baseURL = baseURL;
  }

  #path(p) { return `/scopes/${this.#scope}${p}`; }

  /** Adds a per-test override (an answer, a list of answers; no handlers over HTTP). */
  async use(pattern, answer, options) {
    const spec = routeSpec(pattern, answer, options);
    if (spec.handler !== undefined) throw new TypeError('polysse fake: a standalone fake runs scripted answers only (no handler functions over HTTP)');
    await this.#call('POST', this.#path('/routes'), routeJSON(spec), { expectJSON: false });
    return Object.freeze({ name: spec.name ?? spec.route, route: spec.route });
  }
  /** Replaces the overrides with the routes of a script file or a list of routes. */
  async setRoutes(routes) {
    const file = Array.isArray(routes) ? sse.file(routes) : routes;
    await this.#call('PUT', this.#path('/routes'), file, { expectJSON: false });
  }
  /** Queues an answer for the next attempt of a route. */
  async next(route, answer) {
    await this.#call('POST', this.#path('/next'), { route: remoteName(route), answer }, { expectJSON: false });
  }
  /** Ends every connection of the scope, empties its journal, drops its overrides. */
  async reset() { await this.#call('DELETE', this.#path('/routes'), undefined, { expectJSON: false }); }
  /** Ends the scope's connections and forgets it. */
  async dispose() {
    if (this.#scope === 'default') return this.reset();
    await this.#call('DELETE', `/scopes/${this.#scope}`, undefined, { expectJSON: false });
  }

  /** The journal (of a route), oldest first. */
  async requests(route) {
    const q = new URLSearchParams({ route: remoteName(route) });
    return (await this.#call('GET', this.#path(`/requests?${q}`))).value;
  }
  /** Waits (on the fake's side, at most 30 s) until the journal has n requests (to a route). */
  async waitForRequests(route, n = 1, { timeout = 5000 } = {}) {
    const q = new URLSearchParams({ route: remoteName(route), min: String(n), wait: String(timeout) });
    const { value, headers } = await this.#call('GET', this.#path(`/requests?${q}`));
    if (headers.get('x-polysse-wait') === 'timeout' || value.length < n) {
      throw new RemoteFakeError(`polysse fake: waiting for ${n} requests${route ? ` to ${remoteName(route)}` : ''}: timed out after ${timeout} ms (got ${value.length})`, 0, { last: value.slice(-5) });
    }
    return value;
  }
  /** The open connections (of a route). */
  async connections(route) {
    const q = new URLSearchParams({ route: remoteName(route) });
    return (await this.#call('GET', this.#path(`/connections?${q}`))).value.map((i) => new RemoteConn(this.#call, this.#scope, i));
  }
  /** Waits for an open connection (of a route; of an attempt) and returns the newest. */
  async waitForConnection(route, { timeout = 5000, attempt } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const left = Math.max(0, deadline - Date.now());
      const q = new URLSearchParams({ route: remoteName(route), min: '1', wait: String(left) });
      const got = (await this.#call('GET', this.#path(`/connections?${q}`))).value.filter((i) => attempt === undefined || i.attempt === attempt);
      if (got.length) return new RemoteConn(this.#call, this.#scope, got[got.length - 1]);
      if (left === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new RemoteFakeError(`polysse fake: waiting for an open connection${route ? ` of ${remoteName(route)}` : ''}: timed out after ${timeout} ms`);
  }
  /** Waits until a connection has ended; resolves with the outcome of its request. */
  async waitForDisconnect(conn, { timeout = 5000 } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const entry = (await this.requests(conn.route)).find((e) => e.connection === conn.id);
      if (entry && entry.outcome !== 'open') return entry.outcome;
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new RemoteFakeError(`polysse fake: waiting for ${conn.id} (${conn.route}) to end: timed out after ${timeout} ms`);
  }
  /** Sends an event to every open connection of a route; resolves with how many it reached. */
  async broadcast(route, event) {
    return (await this.#call('POST', this.#path('/broadcast'), { route: remoteName(route), event })).value.sent;
  }
  /** Publishes an event to a topic through the scope's servers; resolves with its ids. */
  async publish(topic, event) {
    return (await this.#call('POST', this.#path('/publish'), { topic, event })).value.ids;
  }
  /** The connection with this id (c1, c2, ...), to drive it. */
  conn(id, route = '') { return new RemoteConn(this.#call, this.#scope, { id, route }); }
}

/**
 * connectFake connects to a standalone fake (npx polysse-fake, or the Go command) at url
 * and creates a scope of its own (or uses the one named by options.scope): its routes,
 * journal and connections are the scope's, its streams live under baseURL.
 */
export async function connectFake(url, options = {}) {
  const fetchFn = options.fetch ?? globalThis.fetch;
  if (typeof fetchFn !== 'function') throw new TypeError('polysse fake: connectFake needs a fetch (pass options.fetch)');
  const call = control(url, fetchFn);
  const root = new URL(url).origin;
  if (options.scope) return new RemoteFake(call, root, options.scope, options.scope === 'default' ? root : `${root}/s/${options.scope}`);
  const { value } = await call('POST', '/scopes');
  return new RemoteFake(call, root, value.scope, value.baseURL);
}
