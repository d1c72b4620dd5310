// polysse core (shared by polysse.js and polysse.mjs; scripts/wasm.d/10-web.sh wraps it).
// The EventSource class: state and events live here, connections and parsing in Go.

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;
const CLOSE_REASONS = ['local', 'complete', 'fatal-event', 'http-status', 'content-type', 'no-content', 'retry-limit', 'network', 'event-too-large'];

// ignoreBOM: a U+FEFF at the start of a value is data (the stream's one leading BOM was
// removed by the parser already).
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

function baseURL() {
  if (typeof document !== 'undefined' && document.baseURI) return document.baseURI;
  if (typeof location !== 'undefined' && location.href) return location.href;
  return undefined;
}

function isObject(v) {
  return v !== null && (typeof v === 'object' || typeof v === 'function');
}

function optString(init, key) {
  const v = init[key];
  if (v === undefined || v === null) return undefined;
  return String(v);
}

function optNumber(obj, key, where) {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new TypeError(`Failed to construct 'EventSource': ${where}${key} must be a non-negative finite number, got ${String(v)}.`);
  }
  return n;
}

function headerPairs(h) {
  // new Headers validates names and values and throws a TypeError for bad ones.
  return Array.from(new Headers(h ?? undefined));
}

function bodyBytes(body) {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return ownBytes(encoder.encode(body));
  if (body instanceof URLSearchParams) return ownBytes(encoder.encode(body.toString()));
  if (body instanceof ArrayBuffer) return new Uint8Array(body.slice(0));
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  throw new TypeError("Failed to construct 'EventSource': body must be a string, URLSearchParams, ArrayBuffer or ArrayBufferView.");
}

// ownBytes returns the bytes of u8 (a Uint8Array of any realm) as a Uint8Array of the global
// constructor, which wasm_exec.js checks against. They differ in Vitest's jsdom environment:
// the global Uint8Array is jsdom's, while Node's TextEncoder, fetch and streams make Node's.
function ownBytes(u8) {
  return u8 instanceof Uint8Array ? u8 : new Uint8Array(u8.buffer, u8.byteOffset, u8.byteLength);
}

function isUint8Array(v) {
  return v instanceof Uint8Array || (ArrayBuffer.isView(v) && Object.prototype.toString.call(v) === '[object Uint8Array]');
}

// normalize validates the EventSourceInit dictionary with polysse's extensions and returns
// the options object the Go binding reads. Every problem is a TypeError thrown from the
// constructor, before any request.
function normalize(init) {
  if (init === undefined || init === null) init = {};
  if (!isObject(init)) throw new TypeError("Failed to construct 'EventSource': The provided value is not of type 'EventSourceInit'.");
  const o = { withCredentials: Boolean(init.withCredentials), transport: fetchHelpers };
  const method = optString(init, 'method');
  o.method = method === undefined ? 'GET' : method.toUpperCase();
  o.body = bodyBytes(init.body);
  if (o.body !== undefined && (o.method === 'GET' || o.method === 'HEAD')) {
    throw new TypeError(`Failed to construct 'EventSource': a ${o.method} request cannot have a body; set method, e.g. 'POST'.`);
  }
  const headers = init.headers;
  if (typeof headers === 'function') {
    o.headers = async () => headerPairs(await headers());
  } else if (headers !== undefined && headers !== null) {
    o.headers = headerPairs(headers); // static: converted once, sent on every attempt
  }
  if (init.fetch !== undefined && init.fetch !== null) {
    if (typeof init.fetch !== 'function') throw new TypeError("Failed to construct 'EventSource': fetch must be a function.");
    o.fetch = init.fetch;
  }
  if (init.retry !== undefined && init.retry !== null) {
    if (!isObject(init.retry)) throw new TypeError("Failed to construct 'EventSource': retry must be an object.");
    const r = init.retry;
    o.retry = {
      initial: optNumber(r, 'initial', 'retry.'),
      max: optNumber(r, 'max', 'retry.'),
      multiplier: optNumber(r, 'multiplier', 'retry.'),
      jitter: optNumber(r, 'jitter', 'retry.'),
      maxAttempts: optNumber(r, 'maxAttempts', 'retry.'),
      resetAfter: optNumber(r, 'resetAfter', 'retry.'),
    };
    if (o.retry.jitter !== undefined && o.retry.jitter > 1) throw new TypeError("Failed to construct 'EventSource': retry.jitter must be between 0 and 1.");
  }
  if (init.classify !== undefined && init.classify !== null) {
    if (typeof init.classify !== 'function') throw new TypeError("Failed to construct 'EventSource': classify must be a function.");
    const classify = init.classify;
    o.classify = (response) => {
      let v;
      try {
        v = classify(response);
      } catch (e) {
        reportError(e);
        return 'fatal';
      }
      if (v === undefined || v === null) return 'default'; // the specification's rule decides
      if (v === 'open' || v === 'retry' || v === 'fatal' || v === 'default') return v;
      reportError(new TypeError(`polysse: classify returned ${String(v)}; expected 'open', 'retry', 'fatal' or undefined. Treating it as 'fatal'.`));
      return 'fatal';
    };
  }
  const hb = init.heartbeatTimeout;
  if (hb === 'auto') o.heartbeatTimeout = 'auto';
  else if (hb !== undefined && hb !== null) o.heartbeatTimeout = optNumber(init, 'heartbeatTimeout', '');
  o.completeEvent = optString(init, 'completeEvent');
  o.fatalEvent = optString(init, 'fatalEvent');
  o.lastEventIdQueryParameter = optString(init, 'lastEventIdQueryParameter');
  o.maxEventSize = optNumber(init, 'maxEventSize', '');
  o.openWhenHidden = init.openWhenHidden === undefined ? true : Boolean(init.openWhenHidden);
  return o;
}

// fetchHelpers is the JavaScript half of the Go fetch transport (jsbridge.FetchTransport):
// what is JavaScript's to do stays here, which keeps the wasm module small.
const fetchHelpers = {
  // fetch starts one request and returns {abort, result}. result resolves to the response
  // with its headers as [name, value] pairs and read/cancel for the body, or rejects with an
  // Error whose cors (a CORS refusal) or permanent (it will not get better) flag is set.
  fetch(url, method, headers, body, withCredentials, fetchFn) {
    const ac = new AbortController();
    const send = (pairs) => {
      const f = typeof fetchFn === 'function' ? fetchFn : globalThis.fetch;
      if (typeof f !== 'function') throw Object.assign(new TypeError('fetch is not available'), { permanent: true });
      const h = new Headers();
      for (const [k, v] of pairs) {
        if (k.toLowerCase() === 'cache-control') continue; // cache: 'no-store' sends it, without a preflight
        h.append(k, k.toLowerCase() === 'last-event-id' ? byteString(v) : v);
      }
      return f(url, {
        method, headers: h, body, signal: ac.signal, cache: 'no-store', redirect: 'follow',
        credentials: withCredentials ? 'include' : 'same-origin',
      });
    };
    const result = (async () => {
      let response;
      try {
        response = await send(headers);
      } catch (e) {
        if (ac.signal.aborted) throw e;
        if (!(await corsRefused(url, withCredentials, fetchFn, ac.signal))) throw e;
        const rest = headers.filter(([k]) => k.toLowerCase() !== 'last-event-id');
        if (rest.length === headers.length) throw Object.assign(new Error(`CORS refused: ${e.message}`), { cors: true });
        // Native EventSource sends Last-Event-ID cross-origin without a preflight; fetch
        // cannot, so a server that does not answer preflights refuses the reconnect. Reconnect
        // without the header rather than fail: the stream resumes from its start.
        console.warn('polysse: the server refused the CORS preflight that the Last-Event-ID header needs; reconnecting without it. ' +
          'Allow the header in Access-Control-Allow-Headers, or set lastEventIdQueryParameter.');
        try {
          response = await send(rest);
        } catch (e2) {
          if (ac.signal.aborted) throw e2;
          throw Object.assign(new Error(`CORS refused: ${e2.message}`), { cors: true });
        }
      }
      if (!(response instanceof Response) && (typeof response !== 'object' || response === null || typeof response.status !== 'number')) {
        throw Object.assign(new TypeError('the fetch function did not resolve to a Response'), { permanent: true });
      }
      return responseHandle(response);
    })();
    result.catch(() => {}); // Go awaits it; an abort after Go gave up must not go unhandled
    return { abort: () => ac.abort(), result };
  },
};

// byteString returns the string whose code units are the UTF-8 bytes of s: the form in
// which a header value (a ByteString) carries non-ASCII text, as native EventSource sends
// Last-Event-ID.
function byteString(s) {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s : String.fromCharCode(...encoder.encode(s));
}

// corsRefused tells a CORS refusal from a network error after a cross-origin fetch failed:
// a no-cors HEAD to the same URL succeeds when the server is up, so the failure was the
// browser's CORS check. The server sees the probe; it is sent only after a failed
// cross-origin request. Same-origin failures are not probed (a network error costs no extra
// request); outside a browser document or worker there is no CORS.
async function corsRefused(url, withCredentials, fetchFn, signal) {
  if (typeof location === 'undefined' || !location.origin || location.origin === 'null') return false;
  try {
    if (new URL(url, location.href).origin === location.origin) return false;
    const f = typeof fetchFn === 'function' ? fetchFn : globalThis.fetch;
    const ac = new AbortController();
    signal.addEventListener('abort', () => ac.abort(), { once: true });
    await f(url, { method: 'HEAD', mode: 'no-cors', cache: 'no-store', signal: ac.signal, credentials: withCredentials ? 'include' : 'same-origin' });
    ac.abort();
    return true;
  } catch {
    return false;
  }
}

// responseHandle wraps a Response for Go. The body is read from the first read() on (so
// that classify may still clone the Response), keeping one read pending and a few chunks
// ahead of the parser: a stream that errors discards the chunks still queued in it.
function responseHandle(response) {
  const ahead = 8;
  let reader = null;
  const queue = [];
  let ended = false;
  let failure = null;
  let pending = false;
  let wake = null;
  const pump = () => {
    if (pending || ended || failure || queue.length >= ahead) return;
    pending = true;
    reader.read().then(({ done, value }) => {
      pending = false;
      if (done) ended = true;
      else if (isUint8Array(value)) queue.push(ownBytes(value));
      else failure = Object.assign(new TypeError('the response body yielded a chunk that is not a Uint8Array'), { permanent: true });
      if (wake) wake();
      pump();
    }, (e) => {
      pending = false;
      failure = e;
      if (wake) wake();
    });
  };
  const headers = [];
  response.headers.forEach((v, k) => headers.push([k, v]));
  return {
    response,
    status: response.status,
    statusText: response.statusText,
    url: response.url,
    headers,
    read() {
      if (!reader) {
        if (!response.body) return Promise.resolve(null);
        reader = response.body.getReader();
      }
      pump();
      const next = () => {
        if (queue.length) {
          const chunk = queue.shift();
          pump();
          return chunk;
        }
        if (failure) throw failure;
        if (ended) return null;
        return undefined;
      };
      const now = next();
      if (now !== undefined) return Promise.resolve(now);
      return new Promise((resolve, reject) => {
        wake = () => {
          try {
            const v = next();
            if (v !== undefined) { wake = null; resolve(v); }
          } catch (e) { wake = null; reject(e); }
        };
      });
    },
    cancel() {
      ended = true;
      queue.length = 0;
      if (reader) reader.cancel().catch(() => {});
      else if (response.body) response.body.cancel().catch(() => {});
    },
  };
}

function reportError(e) {
  if (typeof globalThis.reportError === 'function') globalThis.reportError(e);
  else console.error(e);
}

// SourceMessageEvent is the MessageEvent polysse dispatches. Constructing a MessageEvent
// with an init dictionary costs about three times as much as without one (measured in
// Chromium: ~2.3 µs against ~0.6 µs), so the three values live in private fields behind
// getters that shadow MessageEvent.prototype's. instanceof MessageEvent holds; ports and
// source keep their defaults, as for native EventSource events.
function makeMessageEvent() {
  const Base = globalThis.MessageEvent;
  if (Object.prototype.hasOwnProperty.call(new Base('message'), 'data')) {
    // happy-dom's events carry data, origin and lastEventId as own fields, which would hide
    // the getters below: give them the values through the init dictionary instead.
    return class MessageEvent extends Base {
      constructor(type, data, origin, lastEventId) { super(type, { data, origin, lastEventId }); }
    };
  }
  return class MessageEvent extends Base {
    #data;
    #origin;
    #lastEventId;
    constructor(type, data, origin, lastEventId) {
      super(type);
      this.#data = data;
      this.#origin = origin;
      this.#lastEventId = lastEventId;
    }
    get data() { return this.#data; }
    get origin() { return this.#origin; }
    get lastEventId() { return this.#lastEventId; }
  };
}

function readOnly(event, fields) {
  for (const [k, v] of Object.entries(fields)) {
    Object.defineProperty(event, k, { value: v, enumerable: true });
  }
  return event;
}

function createAPI(bridge, version) {
  const NativeEventSource = globalThis.EventSource;
  const SourceMessageEvent = makeMessageEvent();

  class EventSource extends EventTarget {
    #url;
    #withCredentials;
    #readyState = CONNECTING;
    #opts;
    #handle = null;
    #gen = 0;
    #origin = '';
    #type = 'message';
    #lastId = '';
    #closeFired = false;
    #handlers = new Map();
    #onVisibility = null;

    constructor(url, eventSourceInitDict = undefined) {
      super();
      if (arguments.length < 1) {
        throw new TypeError("Failed to construct 'EventSource': 1 argument required, but only 0 present.");
      }
      const s = `${url}`; // WebIDL USVString conversion: a Symbol throws a TypeError
      let u;
      try {
        u = new URL(s, baseURL());
      } catch {
        throw new DOMException(`Failed to construct 'EventSource': The URL '${s}' is invalid.`, 'SyntaxError');
      }
      this.#url = u.href;
      this.#opts = normalize(eventSourceInitDict);
      this.#withCredentials = this.#opts.withCredentials;
      if (!this.#opts.openWhenHidden && typeof document !== 'undefined') {
        this.#onVisibility = () => this.#visibilityChanged();
        document.addEventListener('visibilitychange', this.#onVisibility);
        if (document.visibilityState === 'hidden') return; // connect once visible
      }
      this.#connect();
    }

    get url() { return this.#url; }
    get withCredentials() { return this.#withCredentials; }
    get readyState() { return this.#readyState; }

    close() {
      if (this.#readyState === CLOSED) return;
      this.#readyState = CLOSED;
      this.#disconnect();
      this.#fireClose('local', false, 0, '', true, undefined);
    }

    // #connect starts a Go client; #gen tells its callbacks from those of a client
    // stopped earlier (openWhenHidden: false restarts clients).
    #connect() {
      const gen = ++this.#gen;
      const live = () => gen === this.#gen && this.#readyState !== CLOSED;
      const sink = {
        _open: (status, statusText, url) => {
          if (!live()) return;
          this.#readyState = OPEN;
          try { this.#origin = new URL(url).origin; } catch { this.#origin = new URL(this.#url).origin; }
          this.dispatchEvent(new Event('open'));
        },
        _batch: (u8, len, count) => {
          let p = 0;
          const u32 = () => { const n = u8[p] | (u8[p + 1] << 8) | (u8[p + 2] << 16) | (u8[p + 3] << 24); p += 4; return n >>> 0; };
          for (let i = 0; i < count && p < len; i++) {
            const flags = u8[p++];
            if (flags & 1) { const n = u32(); this.#type = decoder.decode(u8.subarray(p, p + n)); p += n; }
            if (flags & 2) { const n = u32(); this.#lastId = decoder.decode(u8.subarray(p, p + n)); p += n; }
            const n = u32();
            const data = n === 0 ? '' : decoder.decode(u8.subarray(p, p + n));
            p += n;
            if (!live()) return; // closed by a listener
            this.dispatchEvent(new SourceMessageEvent(this.#type, data, this.#origin, this.#lastId));
          }
        },
        _error: (status, statusText, attempt, retryIn, closing, message) => {
          if (!live()) return;
          this.#readyState = closing ? CLOSED : CONNECTING;
          const fields = { attempt };
          if (status) { fields.status = status; fields.statusText = statusText; }
          if (!closing) fields.retryIn = retryIn;
          if (message) fields.message = message;
          this.dispatchEvent(readOnly(new Event('error'), fields));
        },
        _close: (reason, fatal, status, statusText, isLocal, data) => {
          if (gen !== this.#gen) return;
          this.#handle = null;
          if (this.#readyState !== CLOSED) this.#readyState = CLOSED;
          this.#removeVisibility();
          this.#fireClose(reason, fatal, status, statusText, isLocal, data === '' ? undefined : data);
        },
      };
      const opts = { ...this.#opts, lastEventId: this.#lastId };
      this.#handle = bridge.open(sink, this.#url, opts);
    }

    #disconnect() {
      this.#gen++;
      const h = this.#handle;
      this.#handle = null;
      if (h) h.close();
      this.#removeVisibility();
    }

    #removeVisibility() {
      if (this.#onVisibility && typeof document !== 'undefined') {
        document.removeEventListener('visibilitychange', this.#onVisibility);
        this.#onVisibility = null;
      }
    }

    #visibilityChanged() {
      if (this.#readyState === CLOSED) return;
      if (document.visibilityState === 'hidden') {
        this.#gen++;
        const h = this.#handle;
        this.#handle = null;
        if (h) h.close();
        this.#readyState = CONNECTING;
      } else if (!this.#handle) {
        this.#connect();
      }
    }

    #fireClose(reason, fatal, status, statusText, isLocal, data) {
      if (this.#closeFired) return;
      this.#closeFired = true;
      if (!CLOSE_REASONS.includes(reason)) reason = 'network';
      this.dispatchEvent(readOnly(new Event('close'), { reason, fatal, status, statusText, isLocal, data }));
    }

    #handler(type) { return this.#handlers.get(type)?.value ?? null; }
    #setHandler(type, v) {
      let h = this.#handlers.get(type);
      const fn = typeof v === 'function' || (isObject(v) && typeof v !== 'function') ? v : null;
      if (fn === null) {
        if (h) { this.removeEventListener(type, h.listener); this.#handlers.delete(type); }
        return;
      }
      if (!h) {
        h = { value: fn, listener: (e) => { const f = h.value; if (typeof f === 'function') return f.call(this, e); } };
        this.#handlers.set(type, h);
        this.addEventListener(type, h.listener);
      } else {
        h.value = fn;
      }
    }

    get onopen() { return this.#handler('open'); }
    set onopen(v) { this.#setHandler('open', v); }
    get onmessage() { return this.#handler('message'); }
    set onmessage(v) { this.#setHandler('message', v); }
    get onerror() { return this.#handler('error'); }
    set onerror(v) { this.#setHandler('error', v); }
    get onclose() { return this.#handler('close'); }
    set onclose(v) { this.#setHandler('close', v); }
  }

  for (const [name, value] of [['CONNECTING', CONNECTING], ['OPEN', OPEN], ['CLOSED', CLOSED]]) {
    const d = { value, enumerable: true, writable: false, configurable: false };
    Object.defineProperty(EventSource, name, d);
    Object.defineProperty(EventSource.prototype, name, d);
  }
  Object.defineProperty(EventSource.prototype, Symbol.toStringTag, { value: 'EventSource', configurable: true });
  // WebIDL attributes and operations are enumerable; class members are not by default.
  for (const name of ['url', 'withCredentials', 'readyState', 'onopen', 'onmessage', 'onerror', 'onclose', 'close']) {
    Object.defineProperty(EventSource.prototype, name, { enumerable: true });
  }

  let saved;
  return {
    EventSource,
    NativeEventSource,
    version,
    install() {
      if (globalThis.EventSource !== EventSource) {
        saved = { had: Object.prototype.hasOwnProperty.call(globalThis, 'EventSource'), value: globalThis.EventSource };
        globalThis.EventSource = EventSource;
      }
      return EventSource;
    },
    uninstall() {
      if (globalThis.EventSource === EventSource && saved) {
        if (saved.had) globalThis.EventSource = saved.value;
        else delete globalThis.EventSource;
        saved = undefined;
      }
    },
  };
}

// runGo starts the module with the Go class from wasm_exec.js and resolves with the API.
async function runGo(Go, instantiate) {
  const go = new Go();
  useTestClock(go); // clock.js: Go's clock and timers follow a test's fake timers
  const { instance } = await instantiate(go.importObject);
  let bridge;
  const prev = Object.getOwnPropertyDescriptor(globalThis, '__polysseReady');
  globalThis.__polysseReady = (api) => { bridge = api; };
  try {
    go.run(instance).catch(reportError); // main runs synchronously up to its first block
  } finally {
    if (prev) Object.defineProperty(globalThis, '__polysseReady', prev);
    else delete globalThis.__polysseReady;
  }
  if (!bridge) throw new Error('polysse: the wasm module did not start');
  return createAPI(bridge, bridge.version);
}

// withOwnGo runs load (which defines globalThis.Go) and returns the Go class it defined,
// leaving the page's own globalThis.Go as it was.
async function withOwnGo(load) {
  const prev = Object.getOwnPropertyDescriptor(globalThis, 'Go');
  try {
    await load();
    const Go = globalThis.Go;
    if (typeof Go !== 'function') throw new Error('polysse: wasm_exec.js did not define Go');
    return Go;
  } finally {
    if (prev) Object.defineProperty(globalThis, 'Go', prev);
    else delete globalThis.Go;
  }
}

// compile returns a Promise of the compiled module. It starts at once, so that the download
// and compilation overlap with loading wasm_exec.js. Go's module imports nothing but the
// "gojs" functions wasm_exec.js provides at instantiation, so compiling needs no Go class.
async function compile(source) {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
  const url = source;
  const response = fetch(url);
  if (typeof WebAssembly.compileStreaming === 'function') {
    try {
      return await WebAssembly.compileStreaming(response);
    } catch (e) {
      // A server that sends the wrong MIME type makes compileStreaming fail; fall back.
      if (!(e instanceof TypeError)) throw e;
    }
  }
  const r = await fetch(url);
  if (!r.ok) throw new Error(`polysse: fetching ${url} failed: ${r.status}`);
  return WebAssembly.compile(await r.arrayBuffer());
}

function instantiate(modulePromise) {
  return async (importObject) => ({ instance: await WebAssembly.instantiate(await modulePromise, importObject) });
}
