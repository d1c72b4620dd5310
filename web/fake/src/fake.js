// polysse fake: createFake and what it returns (a fragment of dist/fake.mjs, after
// web/src/clock.js, sse.js and engine.js; see scripts/wasm.d/20-fake.sh).

const textEncoder = new TextEncoder();

// QUIET_CODES are the failures of a handler that are no failure: the client went away, the
// test ended the connection, or the fake was reset or closed.
const QUIET_CODES = new Set(['ENDED', 'RESET', 'OVER', 'CLOSED']);

const LOGGERS = { debug: 'debug', info: 'info', warn: 'warn', error: 'error' };

// The marker of the answer to a request no route matched (fakewasm's UnhandledHeader).
const UNHANDLED_HEADER = 'polysse-fake-unhandled';

// routeName returns the name a route argument means: a name, or a route object's.
function routeName(route, what = 'route') {
  if (route === undefined || route === null) return '';
  if (typeof route === 'string') return route;
  if (typeof route === 'object' && typeof (route.name ?? route.route) === 'string') return route.name ?? route.route;
  throw new TypeError(`polysse fake: ${what} must be a route name ("GET /feed") or a route`);
}

// eventJSON returns the JSON of an event given to send, broadcast or publish.
function eventJSON(event) {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new TypeError('polysse fake: an event is an object: { type?, id?, data?, retry? }');
  }
  return JSON.stringify(event);
}

// dataJSON returns the JSON of the data of complete and fail (undefined: none).
const dataJSON = (data) => (data === undefined || data === null ? undefined : JSON.stringify(data));

// bytesOfPart returns the bytes of a raw part: a string as UTF-8, bytes as they are.
function bytesOfPart(part) {
  if (typeof part === 'string') return textEncoder.encode(part);
  const b = bytesOfView(part);
  if (!b) throw new TypeError('polysse fake: raw() takes strings (sent as UTF-8) and bytes (Uint8Array, ArrayBuffer)');
  return b;
}

// fakeClock returns the fake clock of the test (what @sinonjs/fake-timers, hence Vitest and
// Jest, hang on the functions they fake), or null.
function fakeClock() {
  const st = globalThis.setTimeout;
  const c = st && st.clock;
  return c && typeof c.tickAsync === 'function' ? c : null;
}

/** A connection of the fake: an open response (a stream or a plain answer). */
class Conn {
  #api;
  #ref;
  #info; // the last info read ({id, route, attempt, stream, open, reason, lastEventId})

  constructor(api, ref, info) {
    this.#api = api;
    this.#ref = ref;
    this.#info = info ?? null;
  }

  #read() {
    if (this.#info && !this.#info.open) return this.#info; // an ended connection stays ended
    const r = this.#api.connInfo(this.#ref);
    if (typeof r === 'string') this.#info = JSON.parse(r);
    else if (isErr(r) && this.#info) this.#info = { ...this.#info, open: false, reason: this.#info.reason || 'reset' };
    return this.#info ?? { id: '', route: '', attempt: 0, stream: true, open: true, reason: '', lastEventId: null };
  }

  /** c1, c2, ... in the order connections opened since the last reset ('' while a handler's stream starts). */
  get id() { return this.#read().id; }
  /** The name of the route that opened it. */
  get route() { return this.#read().route; }
  /** The attempt it answers. */
  get attempt() { return this.#read().attempt; }
  /** The request's Last-Event-ID, null without one. */
  get lastEventId() { return this.#read().lastEventId ?? null; }
  /** Whether it is a stream of the route's server (false: a plain answer). */
  get stream() { return this.#read().stream; }
  /** Whether it is still open. */
  get open() { return this.#read().open; }
  /** Why it ended ('' while open): complete, fatal, closed, client-gone, dropped, ended, refused, ... */
  get reason() { return this.#read().reason ?? ''; }

  #op(op, arg) {
    return callAsync((cb) => this.#api.connOp(this.#ref, op, arg, cb));
  }

  /** Sends an event: { type?, id?, data?, retry? }; data that is not a string is sent as JSON. */
  send(event) { return this.#op('send', eventJSON(event)); }
  /** Sends a comment line (no text: the bare ':' of a heartbeat). */
  comment(text = '') { return this.#op('comment', String(text)); }
  /** Sends each part as a chunk of its own: strings as UTF-8, bytes as they are. */
  raw(...parts) {
    const bytes = parts.flat().map(bytesOfPart);
    return Promise.all(bytes.map((b) => this.#op('raw', goBytes(b)))).then(() => {});
  }
  /** Ends the response cleanly (a spec client reconnects), after what is queued. */
  end() { return this.#op('end'); }
  /** Cuts the connection after what is queued: the client sees a network error. */
  drop() { return this.#op('drop'); }
  /** Ends a stream with a complete event and a completion token: the reconnect gets 204. */
  complete(data) { return this.#op('complete', dataJSON(data)); }
  /** Ends a stream with a fatal event: the reconnect gets 204 with SSE-Outcome: fatal. */
  fail(data) { return this.#op('fail', dataJSON(data)); }
  /** Sleeps on the fake's clock, after what is queued; rejects when the connection ends first. */
  sleep(ms) { return this.#op('sleep', ms); }

  toJSON() { return { ...this.#read() }; }
  toString() { const i = this.#read(); return `${i.id} (${i.route}) attempt ${i.attempt}`; }
}

// makeRequest returns a Request for what a handler or the unhandled policy gets, or a
// plain object with the same fields when the environment's Request refuses it.
function makeRequest(url, method, pairs, body) {
  const headers = new Headers();
  for (const [k, v] of pairs) {
    try { headers.append(k, v); } catch { /* a name the environment forbids */ }
  }
  const hasBody = body && body.length && method !== 'GET' && method !== 'HEAD';
  try {
    return new Request(url, { method, headers, body: hasBody ? body : undefined });
  } catch {
    const bytes = body ?? new Uint8Array(0);
    return {
      url, method, headers,
      arrayBuffer: async () => bytes.slice().buffer,
      text: async () => new TextDecoder().decode(bytes),
      json: async () => JSON.parse(new TextDecoder().decode(bytes)),
    };
  }
}

// requestParts reads what fetch(input, init) asks for: { url, method, headers (pairs),
// body (Uint8Array | null), signal, replay (input and init to pass the request on) }.
async function requestParts(input, init, base) {
  init = init ?? {};
  const isRequest = input !== null && typeof input === 'object' && typeof input.url === 'string' && typeof input.method === 'string';
  const rawURL = isRequest ? input.url : String(input);
  let url;
  try {
    url = new URL(rawURL, base).href;
  } catch {
    throw new TypeError(`polysse fake: cannot parse the URL ${rawURL}`);
  }
  const method = String(init.method ?? (isRequest ? input.method : 'GET')).toUpperCase();
  const headers = new Headers(init.headers ?? (isRequest ? input.headers : undefined));
  const signal = init.signal ?? (isRequest ? input.signal : undefined);
  let replayInput = isRequest ? input : url; // the URL resolved: the fetch it goes to may have no base
  let body = null;
  if (init.body !== undefined && init.body !== null) {
    body = await bodyBytes(init.body, headers);
  } else if (isRequest && input.body) {
    if (typeof input.clone === 'function') replayInput = input.clone();
    body = new Uint8Array(await input.arrayBuffer());
  }
  const replayInit = init.body !== undefined && init.body !== null && !(typeof init.body === 'string' || bytesOfView(init.body))
    ? { ...init, body } // a stream or a form is read once: pass the bytes on
    : init;
  const pairs = [];
  headers.forEach((v, k) => pairs.push([k, v]));
  return { url, method, headers: pairs, body, signal, replay: [replayInput, replayInit] };
}

// bodyBytes returns the bytes of a fetch body, setting the Content-Type fetch would.
async function bodyBytes(body, headers) {
  const setType = (t) => { if (!headers.has('content-type')) headers.set('content-type', t); };
  if (typeof body === 'string') {
    setType('text/plain;charset=UTF-8');
    return textEncoder.encode(body);
  }
  const b = bytesOfView(body);
  if (b) return new Uint8Array(b); // a copy: the caller may reuse its buffer
  if (typeof URLSearchParams !== 'undefined' && body instanceof URLSearchParams) {
    setType('application/x-www-form-urlencoded;charset=UTF-8');
    return textEncoder.encode(body.toString());
  }
  const r = new Response(body); // Blob, FormData, ReadableStream
  const type = r.headers.get('content-type');
  if (type) setType(type);
  return new Uint8Array(await r.arrayBuffer());
}

function abortReason(signal) {
  if (signal.reason !== undefined) return signal.reason;
  return new DOMException('This operation was aborted', 'AbortError');
}

// The statuses whose responses have no body.
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

// MAX_BUFFERED bounds the bytes a response body holds for a reader that does not read.
const MAX_BUFFERED = 256 * 1024;

/** Fake is what createFake resolves with (see fake.d.ts). */
class Fake {
  #api;
  #id;
  #baseURL;
  #onUnhandled;
  #closed = false;
  #installed = null; // { fetch: {had, value}, es: {had, value} | null, wrapper, ready }

  constructor(api, id, options) {
    this.#api = api;
    this.#id = id;
    this.#baseURL = options.baseURL;
    this.#onUnhandled = options.onUnhandled ?? 'error';
    this.fetch = (input, init) => this.#fetch(input, init, 'fetch');
    this.handle = (request) => this.#fetch(request, undefined, 'handle');
    const asyncDispose = Symbol.asyncDispose;
    if (asyncDispose) this[asyncDispose] = () => this.close();
  }

  /** The URL relative URLs resolve against. */
  get baseURL() {
    if (typeof document !== 'undefined' && document.baseURI) return document.baseURI;
    return this.#baseURL;
  }

  #call(v) { return check(v); }

  #addRoute(pattern, answer, options, override) {
    const spec = routeSpec(pattern, answer, options);
    let handler = null;
    if (spec.handler !== undefined) {
      if (typeof spec.handler !== 'function') throw new TypeError('polysse fake: a handler must be a function');
      const user = spec.handler;
      handler = (ctxID, info) => this.#runHandler(user, ctxID, info);
    }
    this.#call(this.#api.route(this.#id, routeJSON(spec), handler, override));
    return Object.freeze({ name: spec.name ?? spec.route, route: spec.route });
  }

  /** Adds a default route: it stays across reset. */
  route(pattern, answer, options) { return this.#addRoute(pattern, answer, options, false); }
  /** Adds a per-test override, tried before the defaults; reset removes it. */
  use(pattern, answer, options) { return this.#addRoute(pattern, answer, options, true); }
  /** Queues an answer for the next attempt of a route. */
  next(route, answer) {
    this.#call(this.#api.next(this.#id, routeName(route), JSON.stringify(answer)));
  }
  /** Adds the routes of a script file ({ version: 1, routes }) as default routes. */
  load(file) {
    // A JSON module's namespace (import('./routes.json')) holds the file as its default.
    const f = file && typeof file === 'object' && file.default && typeof file.default === 'object' && 'routes' in file.default ? file.default : file;
    this.#call(this.#api.load(this.#id, typeof f === 'string' ? f : JSON.stringify(f)));
  }
  /** Ends every connection, empties the journal, drops overrides and next answers, restarts attempt counts. */
  reset() { this.#call(this.#api.reset(this.#id)); }

  /** Shuts the fake down: connections end, the servers stop, and the globals are restored. */
  async close() {
    if (this.#closed) return;
    this.#closed = true;
    this.uninstall();
    await callAsync((cb) => this.#api.close(this.#id, cb));
  }

  /** Publishes an event to a topic through the route servers; resolves with its ids. */
  publish(topic, event) {
    return callAsync((cb) => this.#api.publish(this.#id, String(topic), eventJSON(event), cb)).then((j) => JSON.parse(j));
  }
  /** Sends an event to every open connection of a route; resolves with how many it reached. */
  broadcast(route, event) {
    return callAsync((cb) => this.#api.broadcast(this.#id, routeName(route), eventJSON(event), cb));
  }

  #conns(route, open) {
    const j = this.#call(this.#api.conns(this.#id, routeName(route), open));
    return JSON.parse(j).map(({ ref, ...info }) => new Conn(this.#api, ref, info));
  }
  /** The open connections (of one route). */
  connections(route) { return this.#conns(route, true); }
  /** The journal (of one route), oldest first. */
  requests(route) { return JSON.parse(this.#call(this.#api.journal(this.#id, routeName(route)))); }

  /**
   * poll calls check until it returns something other than undefined. Under fake timers it
   * advances them by interval between checks (async ticks, so that promise jobs run),
   * otherwise it waits interval ms of real time; the timeout counts polls, so it is the same
   * under either clock.
   */
  async #poll(what, check, opts = {}) {
    const interval = opts.interval ?? 50;
    const timeout = opts.timeout ?? 5000;
    const polls = Math.max(1, Math.ceil(timeout / interval));
    for (let i = 0; ; i++) {
      const v = check();
      if (v !== undefined) return v;
      const clock = fakeClock();
      if (clock) {
        await clock.tickAsync(0); // what is due now, and the promise jobs it starts
        const again = check();
        if (again !== undefined) return again;
      }
      if (i >= polls) break;
      if (clock) await clock.tickAsync(interval);
      else await new Promise((resolve) => setTimeout(resolve, interval));
    }
    const last = this.requests().slice(-5);
    const lines = last.map((e) => `\n  #${e.seq} ${e.method} ${e.url} (${e.route ?? 'no route'}, attempt ${e.attempt}) status ${e.status ?? '-'} ${e.outcome}`);
    throw new FakeError(`polysse fake: waiting for ${what}: timed out after ${timeout} ms` +
      (last.length ? `; the journal's last entries:${lines.join('')}` : ' (the journal is empty)'), 'TIMEOUT', { last });
  }

  /** Waits until the journal has n requests (to a route), advancing fake timers while it polls. */
  waitForRequests(route, n = 1, opts) {
    const name = routeName(route);
    return this.#poll(`${n} request${n === 1 ? '' : 's'}${name ? ` to ${name}` : ''}`, () => {
      const got = this.requests(name);
      return got.length >= n ? got : undefined;
    }, opts);
  }

  /** Waits for an open connection (of a route; of an attempt): the newest one. */
  waitForConnection(route, opts = {}) {
    const name = routeName(route);
    const want = opts.attempt;
    return this.#poll(`an open connection${name ? ` of ${name}` : ''}${want ? ` (attempt ${want})` : ''}`, () => {
      const open = this.#conns(name, true).filter((c) => want === undefined || c.attempt === want);
      return open.length ? open[open.length - 1] : undefined;
    }, opts);
  }

  /** Waits until a connection has ended; resolves with why. */
  waitForDisconnect(conn, opts) {
    if (!(conn instanceof Conn)) throw new TypeError('polysse fake: waitForDisconnect takes a connection');
    return this.#poll(`${conn.id || 'the connection'} (${conn.route}) to end`, () => (conn.open ? undefined : conn.reason), opts);
  }

  // #runHandler runs a JavaScript handler for the attempt ctxID (Go waits for handlerDone).
  #runHandler(user, ctxID, info) {
    const api = this.#api;
    const ctx = handlerContext(api, ctxID, info);
    let p;
    try {
      p = Promise.resolve(user(ctx));
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      () => api.handlerDone(ctxID, null),
      (e) => api.handlerDone(ctxID, e instanceof FakeError && QUIET_CODES.has(e.code) ? null : describe(e)),
    );
  }

  // #fetch answers a fetch (mode 'fetch'), a request MSW hands on ('handle': undefined when
  // no route matches) or a call of the installed global fetch ('global').
  async #fetch(input, init, mode) {
    if (this.#closed) throw new TypeError('polysse fake: the fake is closed');
    const parts = await requestParts(input, init, this.baseURL);
    const signal = parts.signal;
    if (signal && signal.aborted) throw abortReason(signal);
    if (mode === 'handle' && !this.#api.handles(this.#id, parts.method, parts.url, parts.headers)) return undefined;
    const res = await this.#serve(parts);
    if (res !== UNHANDLED) return res;
    return this.#unhandled(parts);
  }

  // #serve serves parts and resolves with a streaming Response, or UNHANDLED. The body
  // keeps the chunks in a queue of its own and hands them to the stream as it is read
  // (highWaterMark 0), so that the end or a drop reaches the reader only after every chunk
  // written before it; beyond MAX_BUFFERED unread bytes the engine waits (its write
  // deadlines apply), as a server waits for a client that does not read.
  #serve(parts) {
    return new Promise((resolve, reject) => {
      const signal = parts.signal;
      let settled = false;
      let handle;
      const queue = [];
      let queued = 0;
      let waiting = false; // the engine waits for room
      let ending; // undefined while open; null: a clean end; an Error: the failure
      let over = false; // the reader's side is over (closed, errored, cancelled)
      let controller;
      let wake = null; // resolves a pull() waiting for a chunk or the end
      const feed = () => {
        if (over) return true;
        if (queue.length) {
          const b = queue.shift();
          queued -= b.byteLength;
          controller.enqueue(b);
          if (waiting && queued <= MAX_BUFFERED) { waiting = false; handle.pull(); }
          return true;
        }
        if (ending === undefined) return false;
        over = true;
        if (ending === null) controller.close();
        else controller.error(ending);
        return true;
      };
      const stop = (reason) => {
        if (over) return;
        over = true;
        queue.length = 0;
        try { controller.error(reason); } catch { /* closed */ }
        if (wake) { wake(); wake = null; }
      };
      const onAbort = () => {
        if (handle) handle.abort();
        const reason = abortReason(signal);
        if (!settled) { settled = true; reject(reason); } else stop(reason);
      };
      const sink = {
        head: (status, pairs, statusText) => {
          if (settled) return;
          settled = true;
          if (pairs.some(([k]) => k.toLowerCase() === UNHANDLED_HEADER)) {
            over = true;
            resolve(UNHANDLED);
            return;
          }
          const headers = new Headers();
          for (const [k, v] of pairs) headers.append(k, v);
          let body = null;
          if (NULL_BODY.has(status) || parts.method === 'HEAD') {
            over = true;
          } else {
            body = new ReadableStream({
              start(c) { controller = c; },
              pull() {
                if (feed()) return undefined;
                return new Promise((r) => { wake = r; }).then(() => { feed(); });
              },
              cancel() {
                over = true;
                queue.length = 0;
                if (handle) handle.abort();
              },
            }, { highWaterMark: 0 });
          }
          const response = new Response(body, { status, statusText, headers });
          try { Object.defineProperty(response, 'url', { value: parts.url }); } catch { /* read-only here */ }
          resolve(response);
        },
        chunk: (bytes) => {
          if (over) return -1;
          queue.push(bytes);
          queued += bytes.byteLength;
          if (wake) { wake(); wake = null; }
          if (queued <= MAX_BUFFERED) return 1;
          waiting = true;
          return 0;
        },
        end: (message) => {
          if (signal) signal.removeEventListener('abort', onAbort);
          if (!settled) {
            settled = true;
            reject(new TypeError(`polysse fake: ${parts.method} ${parts.url}: ${message || 'no response'} (a network error)`));
            return;
          }
          if (over || ending !== undefined) return;
          ending = message ? new TypeError(`polysse fake: network error: ${message}`) : null;
          if (wake) { wake(); wake = null; }
        },
      };
      if (signal) signal.addEventListener('abort', onAbort, { once: true });
      try {
        handle = serveOn(this.#api, this.#id, parts, sink);
      } catch (e) {
        if (signal) signal.removeEventListener('abort', onAbort);
        if (!settled) { settled = true; reject(e); }
      }
    });
  }

  // #unhandled applies the unhandled-request policy.
  async #unhandled(parts) {
    let policy = this.#onUnhandled;
    const msg = `polysse fake: no route for ${parts.method} ${parts.url}`;
    if (typeof policy === 'function') {
      const decided = await policy(makeRequest(parts.url, parts.method, parts.headers, parts.body));
      if (decided instanceof Response || (decided && typeof decided === 'object' && typeof decided.status === 'number')) return decided;
      policy = decided ?? 'bypass';
    }
    switch (policy) {
      case 'bypass':
        return this.#passOn(parts);
      case 'warn':
        console.warn(`${msg}; passing it on`);
        return this.#passOn(parts);
      case 'error':
        console.error(msg);
        throw new TypeError(msg);
      default:
        throw new TypeError(`polysse fake: onUnhandled must be 'error', 'warn', 'bypass' or a function; got ${String(policy)}`);
    }
  }

  // #passOn hands a request no route matched to the fetch of before install(), or to the
  // global fetch when the fake is not installed.
  #passOn(parts) {
    let f = this.#installed && this.#installed.fetch ? this.#installed.fetch.value : globalThis.fetch;
    if (this.#installed && f === this.#installed.wrapper) f = undefined;
    if (typeof f !== 'function') throw new TypeError(`polysse fake: no route for ${parts.method} ${parts.url}, and no fetch to pass it on to`);
    return f(...parts.replay);
  }

  /**
   * install makes the globals answer from the fake: globalThis.fetch answers matching
   * requests (the others go to the unhandled policy), and globalThis.EventSource becomes
   * polysse's, fetching from the fake. It loads polysse's module first (in a browser it
   * fetches polysse.wasm with the fetch of before), then replaces both globals, and resolves.
   */
  install() {
    if (this.#closed) return Promise.reject(new FakeError('polysse fake: the fake is closed', 'CLOSED'));
    if (this.#installed) return this.#installed.ready;
    const saved = (name) => ({ had: Object.prototype.hasOwnProperty.call(globalThis, name), value: globalThis[name] });
    const inst = { fetch: null, es: null, wrapper: (input, init) => this.#fetch(input, init, 'global'), ready: null };
    this.#installed = inst;
    inst.ready = loadPolysse().then((polysse) => {
      if (this.#installed !== inst) return;
      inst.fetch = saved('fetch');
      inst.es = saved('EventSource');
      globalThis.fetch = inst.wrapper;
      globalThis.EventSource = this.#eventSourceClass(polysse.EventSource);
    });
    inst.ready.catch(() => { if (this.#installed === inst) this.#installed = null; });
    return inst.ready;
  }

  /** uninstall restores the globals install replaced. */
  uninstall() {
    const inst = this.#installed;
    if (!inst) return;
    this.#installed = null;
    const restore = (name, s) => {
      if (s.had) globalThis[name] = s.value;
      else delete globalThis[name];
    };
    if (inst.fetch && globalThis.fetch === inst.wrapper) restore('fetch', inst.fetch);
    if (inst.es) restore('EventSource', inst.es);
  }

  // #eventSourceClass returns polysse's EventSource fetching from the fake (unless a
  // source's options give a fetch), with relative URLs resolved against baseURL.
  #eventSourceClass(Base) {
    const fake = this;
    const EventSource = class EventSource extends Base {
      constructor(url, init) {
        let u = url;
        if (!(typeof document !== 'undefined' && document.baseURI)) {
          try { u = new URL(String(url), fake.baseURL).href; } catch { /* polysse throws its SyntaxError */ }
        }
        const opts = init !== undefined && init !== null && typeof init === 'object' ? init : {};
        super(u, opts.fetch ? init : { ...opts, fetch: fake.fetch });
      }
    };
    return EventSource;
  }
}

// UNHANDLED is what #serve resolves with when no route matched.
const UNHANDLED = Symbol('unhandled');

// describe returns the text of a handler's failure.
function describe(e) {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  try { return String(e); } catch { return 'an unprintable value'; }
}

// handlerContext is what a handler gets: the attempt, and the ways to answer it.
function handlerContext(api, ctxID, info) {
  const headers = new Headers();
  for (const [k, v] of info.headers) {
    try { headers.append(k, v); } catch { /* a name the environment forbids */ }
  }
  let request;
  const op = (name, a, b, c) => callAsync((cb) => api.ctxOp(ctxID, name, a, b, c, cb));
  return {
    get request() { return (request ??= makeRequest(info.url, info.method, info.headers, info.body)); },
    method: info.method,
    url: info.url,
    headers,
    body: info.body ?? new Uint8Array(0),
    params: { ...info.params },
    attempt: info.attempt,
    lastEventId: info.lastEventId ?? null,
    route: info.route,
    /** Answers with a stream of the route's server; returns its connection at once. */
    stream() {
      const r = api.ctxOp(ctxID, 'stream');
      return new Conn(api, check(r), null);
    },
    /** Answers with a plain response. */
    respond(status, init = {}) {
      const pairs = [];
      new Headers(init.headers).forEach((v, k) => pairs.push([k, v]));
      const body = init.body === undefined || init.body === null ? null : bytesOfPart(init.body);
      return op('respond', status, pairs, goBytes(body));
    },
    /** Answers with no response: a network error. */
    drop() { return op('drop'); },
    /** Answers with a scripted answer (sse.stream, sse.respond, ...). */
    serve(answer) { return op('serve', JSON.stringify(answer)); },
    /** Answers as the route matching another path would. */
    forward(path) { return op('forward', String(path)); },
    /** Sleeps on the fake's clock; rejects when the request is over first. */
    sleep(ms) { return op('sleep', ms); },
  };
}

let polysseModule;

// loadPolysse loads the polysse package's EventSource (the dist/polysse.mjs next to this
// file), once.
function loadPolysse() {
  if (!polysseModule) {
    const url = new URL('./polysse.mjs', import.meta.url).href;
    polysseModule = import(/* webpackIgnore: true */ /* @vite-ignore */ url).then((m) => m.init());
    polysseModule.catch(() => { polysseModule = undefined; });
  }
  return polysseModule;
}

/**
 * createFake starts a fake SSE server in this process (see fake.d.ts): it resolves once its
 * engine is ready.
 */
export async function createFake(options = {}) {
  if (options === null || typeof options !== 'object') throw new TypeError('polysse fake: createFake takes an options object');
  const known = ['routes', 'onUnhandled', 'baseURL', 'logLevel', 'journalSize', 'maxHold', 'cors', 'preflight', 'wasmURL', 'wasmModule'];
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) throw new TypeError(`polysse fake: unknown option "${k}" (known: ${known.join(', ')})`);
  }
  const u = options.onUnhandled;
  if (u !== undefined && typeof u !== 'function' && !['error', 'warn', 'bypass'].includes(u)) {
    throw new TypeError(`polysse fake: onUnhandled must be 'error', 'warn', 'bypass' or a function; got ${String(u)}`);
  }
  const api = await loadFakeWasm(options);
  const log = (level, line) => {
    const f = console[LOGGERS[level] ?? 'warn'];
    f.call(console, `polysse fake: ${line}`);
  };
  const id = check(api.newEngine(JSON.stringify({
    cors: options.cors ?? 'off', preflight: options.preflight ?? false, maxHold: options.maxHold ?? 0,
    journalSize: options.journalSize ?? 0, logLevel: options.logLevel ?? 'warn', markUnhandled: true,
  }), log));
  const fake = new Fake(api, id, { baseURL: new URL(options.baseURL ?? 'http://localhost/').href, onUnhandled: options.onUnhandled });
  try {
    const routes = options.routes;
    if (Array.isArray(routes)) for (const r of routes) fake.route(r);
    else if (routes !== undefined && routes !== null) fake.load(routes);
  } catch (e) {
    await fake.close();
    throw e;
  }
  return fake;
}
