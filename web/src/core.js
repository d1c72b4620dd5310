// polysse core (shared by polysse.js and polysse.mjs; scripts/wasm.d/10-web.sh wraps it).
// The EventSource class: state and events live here, connections and parsing in Go.

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;
const CLOSE_REASONS = ['local', 'complete', 'fatal', 'http-status', 'content-type', 'no-content', 'retry-limit', 'network', 'event-too-large'];

// ignoreBOM: a U+FEFF at the start of a value is data (the stream's one leading BOM was
// removed by the parser already).
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

function baseURL() {
  if (typeof document !== 'undefined' && document.baseURI) return document.baseURI;
  if (typeof location !== 'undefined' && location.href) return location.href;
  return undefined;
}

// ---------------------------------------------------------------- URLs

// The schemes the URL standard calls special, minus file: (its host rules differ, and an
// EventSource cannot fetch it anyway): their URLs must have a valid host.
const HOST_SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:', 'ftp:']);

// parseURL parses s against the document's base as the EventSource constructor must, and
// throws the constructor's SyntaxError for a URL the URL standard rejects. The browser's
// own URL parser decides first; it is stricter than the standard nowhere that matters
// here, but Chromium's is more lenient about hosts: it percent-encodes a space or a
// full-width space in a host ('http://this is invalid/' becomes 'http://this%20is%20invalid/')
// and accepts labels that are not valid Punycode ('xn--a'). hostRejected repeats the
// standard's host checks on the host as written.
function parseURL(s) {
  const base = baseURL();
  let u;
  try {
    u = new URL(s, base);
    if (HOST_SCHEMES.has(u.protocol)) {
      const host = writtenHost(s, base);
      if (host !== null && hostRejected(host)) throw new TypeError('invalid host');
    }
  } catch {
    throw new DOMException(`Failed to construct 'EventSource': The URL '${s}' is invalid.`, 'SyntaxError');
  }
  return u;
}

const isSlash = (c) => c === '/' || c === '\\';

// writtenHost returns the host of input as the URL standard's parser reads it for a URL of
// a special scheme (scheme state, the special authority and relative slash states, the
// authority and host states), or null when input has no authority of its own (a path
// relative to base, whose host is base's).
function writtenHost(input, base) {
  // eslint-disable-next-line no-control-regex
  const s = input.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '').replace(/[\t\n\r]/g, '');
  let i = 0;
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.exec(s);
  if (m) {
    i = m[0].length;
    let baseScheme = '';
    try { baseScheme = base === undefined ? '' : new URL(base).protocol; } catch { /* no base */ }
    // With the base's scheme, 'http:path' is relative; an authority needs two slashes.
    if (m[0].toLowerCase() === baseScheme && !(isSlash(s[i]) && isSlash(s[i + 1]))) return null;
  } else if (!(isSlash(s[0]) && isSlash(s[1]))) {
    return null; // relative to base
  }
  while (isSlash(s[i])) i++;
  let end = i;
  while (end < s.length && !isSlash(s[end]) && s[end] !== '?' && s[end] !== '#') end++;
  const authority = s.slice(i, end);
  const host = authority.slice(authority.lastIndexOf('@') + 1); // after the userinfo
  let bracket = false;
  for (let j = 0; j < host.length; j++) {
    if (host[j] === '[') bracket = true;
    else if (host[j] === ']') bracket = false;
    else if (host[j] === ':' && !bracket) return host.slice(0, j); // the port follows
  }
  return host;
}

// FORBIDDEN_DOMAIN matches the URL standard's forbidden domain code points.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_DOMAIN = /[\x00-\x20#%/:<>?@[\\\]^|\x7f]/;

// hostRejected reports whether the URL standard's host parser fails on host (of a special
// URL), for the failures the browser's parser may let through: after percent-decoding and
// the UTS #46 mapping (approximated by NFKC and lower case, which maps what matters here:
// full-width and other compatibility forms of ASCII characters), the domain contains a
// forbidden domain code point, or a label starting with "xn--" is not valid Punycode of a
// valid label. IPv6 addresses are left to the browser.
function hostRejected(host) {
  if (host === '') return true;
  if (host[0] === '[') return false;
  const domain = decoder.decode(percentDecode(host)).normalize('NFKC').toLowerCase();
  if (FORBIDDEN_DOMAIN.test(domain)) return true;
  for (const label of domain.split(/[.\u3002\uff0e\uff61]/)) {
    if (!label.startsWith('xn--')) continue;
    const u = punycodeDecode(label.slice(4));
    // eslint-disable-next-line no-control-regex
    if (u === null || u === '' || /^[\x00-\x7f]*$/.test(u)) return true;
    // A valid label is one that UTS #46 leaves as it is: the browser's own domain-to-ASCII
    // must encode it back to the same label.
    let back = '';
    try { back = new URL(`http://${u}/`).hostname; } catch { /* not valid */ }
    if (back !== label) return true;
  }
  return false;
}

const isHex = (b) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);

// percentDecode is the URL standard's percent-decode of the UTF-8 bytes of s.
function percentDecode(s) {
  const b = encoder.encode(s);
  const out = new Uint8Array(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x25 && isHex(b[i + 1]) && isHex(b[i + 2])) {
      out[n++] = parseInt(String.fromCharCode(b[i + 1], b[i + 2]), 16);
      i += 2;
    } else {
      out[n++] = b[i];
    }
  }
  return out.subarray(0, n);
}

// punycodeDecode decodes the Punycode (RFC 3492) string s, or returns null if it is not
// valid Punycode.
function punycodeDecode(s) {
  const base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700;
  const adapt = (delta, points, first) => {
    delta = first ? Math.floor(delta / damp) : delta >> 1;
    delta += Math.floor(delta / points);
    let k = 0;
    while (delta > ((base - tMin) * tMax) >> 1) {
      delta = Math.floor(delta / (base - tMin));
      k += base;
    }
    return k + Math.floor(((base - tMin + 1) * delta) / (delta + skew));
  };
  const out = [];
  const d = s.lastIndexOf('-');
  for (let j = 0; j < d; j++) {
    const c = s.charCodeAt(j);
    if (c >= 0x80) return null;
    out.push(c);
  }
  let n = 128, i = 0, bias = 72;
  for (let p = d > 0 ? d + 1 : 0; p < s.length;) {
    const old = i;
    for (let w = 1, k = base; ; k += base) {
      if (p >= s.length) return null;
      const c = s.charCodeAt(p++);
      let digit = base;
      if (c >= 0x30 && c <= 0x39) digit = c - 22;
      else if (c >= 0x41 && c <= 0x5a) digit = c - 0x41;
      else if (c >= 0x61 && c <= 0x7a) digit = c - 0x61;
      if (digit >= base) return null;
      i += digit * w;
      if (i > 0x7fffffff) return null;
      const t = k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias;
      if (digit < t) break;
      w *= base - t;
    }
    bias = adapt(i - old, out.length + 1, old === 0);
    n += Math.floor(i / (out.length + 1));
    i %= out.length + 1;
    if (n > 0x10ffff) return null;
    out.splice(i++, 0, n);
  }
  return String.fromCodePoint(...out);
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
  const o = { withCredentials: Boolean(init.withCredentials) };
  const method = optString(init, 'method');
  o.method = method === undefined ? 'GET' : method.toUpperCase();
  o.body = bodyBytes(init.body);
  if (o.body !== undefined && (o.method === 'GET' || o.method === 'HEAD')) {
    throw new TypeError(`Failed to construct 'EventSource': a ${o.method} request cannot have a body; set method, e.g. 'POST'.`);
  }
  const headers = init.headers;
  if (typeof headers === 'function') {
    o.headers = async () => {
      let h;
      try {
        h = await headers();
      } catch (e) {
        throw failedWith('the headers function failed', e);
      }
      try {
        return headerPairs(h);
      } catch (e) {
        throw failedWith('the headers function returned invalid headers', e);
      }
    };
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
      min: optNumber(r, 'min', 'retry.'),
      multiplier: optNumber(r, 'multiplier', 'retry.'),
      jitter: optNumber(r, 'jitter', 'retry.'),
      maxAttempts: optNumber(r, 'maxAttempts', 'retry.'),
      resetAfter: optNumber(r, 'resetAfter', 'retry.'),
    };
    if (o.retry.jitter !== undefined && o.retry.jitter > 1) throw new TypeError("Failed to construct 'EventSource': retry.jitter must be between 0 and 1.");
    if (o.retry.resetAfter === 0) o.retry.resetAfter = -1; // at once; Go's zero means the default
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
  o.maxLastEventIdLength = optNumber(init, 'maxLastEventIdLength', '');
  o.comments = Boolean(init.comments);
  o.openWhenHidden = init.openWhenHidden === undefined ? true : Boolean(init.openWhenHidden);
  return o;
}

// fetchTransport returns the JavaScript half of the Go fetch transport
// (jsbridge's fetch transport) for one source: what is JavaScript's to do stays here, which
// keeps the wasm module small. A request or body read that fails because the page stopped
// loading while it was in flight (see stops) fails permanently, as native EventSource
// does. rt is what a response handle needs of the module (see responseHandle).
function fetchTransport(rt) {
  return {
    // fetch starts one request and returns {abort, result}. result resolves to the
    // response with its headers as [name, value] pairs and read/cancel for the body, or
    // rejects with an Error whose message is meant for users and whose cors (a CORS
    // refusal) or permanent (it will not get better) flag is set.
    fetch(url, method, headers, body, withCredentials, fetchFn) {
      return startFetch(url, method, headers, body, withCredentials, fetchFn, rt);
    },
  };
}

// FETCHABLE are the URL schemes whose URLs an EventSource fetches. Native EventSource
// fails a URL of any other scheme (ftp:, about:, mailto:, javascript:, file:, ...) at once:
// Chromium refuses it as a request it cannot make, and retrying cannot change that.
const FETCHABLE = new Set(['http:', 'https:', 'data:', 'blob:']);

// failedWith returns an Error with a message for users about cause (what fetch or a body
// read rejected with): a browser's bare "Failed to fetch" or "network error" says little,
// Node's fetch keeps the useful part (ECONNREFUSED, ...) in cause.
function failedWith(what, cause, flags) {
  const detail = (e) => {
    const m = e && typeof e.message === 'string' && e.message ? e.message : String(e);
    const c = e && e.cause;
    return c && c !== e && (c.message || c.code) ? `${m} (${c.message || c.code})` : m;
  };
  return Object.assign(new TypeError(`${what}: ${detail(cause)}`), flags);
}

function startFetch(url, method, headers, body, withCredentials, fetchFn, rt) {
  const ac = new AbortController();
  let handle = null;
  const since = stops.epoch;
  // stopped reports whether the page stopped loading since the request started; the
  // request then failed because of it.
  const stopped = () => stopSince(since);
  const send = (pairs) => {
    const f = typeof fetchFn === 'function' ? fetchFn : globalThis.fetch;
    if (typeof f !== 'function') throw Object.assign(new TypeError('fetch is not available here; pass a fetch function in the options'), { permanent: true });
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
      if (stopped()) throw Object.assign(new TypeError(STOPPED), { permanent: true });
      if (e && e.permanent) throw e;
      const scheme = schemeOf(url);
      if (!FETCHABLE.has(scheme)) {
        throw Object.assign(new TypeError(`the URL scheme "${scheme}" is not supported: an EventSource fetches http:, https:, data: and blob: URLs`), { permanent: true });
      }
      if (!(await corsRefused(url, withCredentials, fetchFn, ac.signal))) throw failedWith('request failed', e);
      const rest = headers.filter(([k]) => k.toLowerCase() !== 'last-event-id');
      if (rest.length === headers.length) throw Object.assign(new TypeError(CORS_REFUSED), { cors: true });
      // Native EventSource sends Last-Event-ID cross-origin without a preflight; fetch
      // cannot, so a server that does not answer preflights refuses the reconnect. Reconnect
      // without the header rather than fail: the stream resumes from its start.
      console.warn('polysse: the server refused the CORS preflight that the Last-Event-ID header needs; reconnecting without it. ' +
        'Allow the header in Access-Control-Allow-Headers, or set lastEventIdQueryParameter.');
      try {
        response = await send(rest);
      } catch (e2) {
        if (ac.signal.aborted) throw e2;
        if (stopped()) throw Object.assign(new TypeError(STOPPED), { permanent: true });
        throw Object.assign(new TypeError(CORS_REFUSED), { cors: true });
      }
    }
    if (!(response instanceof Response) && (typeof response !== 'object' || response === null || typeof response.status !== 'number')) {
      throw Object.assign(new TypeError('the fetch function did not resolve to a Response'), { permanent: true });
    }
    handle = responseHandle(response, ac.signal, stopped, rt);
    return handle;
  })();
  result.catch(() => {}); // Go awaits it; an abort after Go gave up must not go unhandled
  return {
    abort: () => {
      ac.abort();
      if (handle) handle.aborted(ac.signal.reason);
    },
    result,
  };
}

const STOPPED = 'the page stopped loading (window.stop() or the browser\'s stop button), which aborted the request';
const CORS_REFUSED = 'the server does not allow this cross-origin request (CORS)';

function schemeOf(url) {
  try { return new URL(url).protocol; } catch { return ''; }
}

// stops tracks the page stopping its loads: window.stop(), or a stop that aborted a
// navigation to another document (the Navigation API's navigateerror). Either cancels every
// fetch of the page, which then fails like a network error ("Failed to fetch", "network
// error"); native EventSource fails for good instead of reconnecting, and so does polysse
// when a request of it was in flight during a stop and failed within STOP_WINDOW_MS of it.
// A stop that the page cannot see (the browser's stop button while no navigation of the
// page is pending) stays a network error: polysse then reconnects.
const stops = { epoch: 0, at: -Infinity, watching: false };
const STOP_WINDOW_MS = 1000;
const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

function noteStop() {
  stops.epoch++;
  stops.at = now();
}

function stopSince(epoch) {
  return stops.epoch !== epoch && now() - stops.at <= STOP_WINDOW_MS;
}

// watchStops starts watching for stops, once, in a window (not in workers or Node): it
// wraps window.stop in a Proxy (same name, length and behaviour; it notes the stop first)
// and listens to the Navigation API.
function watchStops() {
  if (stops.watching) return;
  stops.watching = true;
  const g = globalThis;
  if (typeof document === 'undefined') return;
  const d = Object.getOwnPropertyDescriptor(g, 'stop');
  if (d && typeof d.value === 'function' && d.writable) {
    const stop = new Proxy(d.value, {
      apply(target, self, args) {
        noteStop();
        return Reflect.apply(target, self, args);
      },
    });
    Object.defineProperty(g, 'stop', { ...d, value: stop });
  }
  const nav = g.navigation;
  if (nav && typeof nav.addEventListener === 'function' && typeof location !== 'undefined') {
    // An aborted navigation to another document leaves the page where it was; a navigation
    // within the document (intercepted) has changed the URL already, and aborting it stops
    // no loads.
    let destination = null;
    nav.addEventListener('navigate', (e) => { destination = e.destination ? e.destination.url : null; });
    nav.addEventListener('navigateerror', (e) => {
      if (e.error && e.error.name === 'AbortError' && destination !== null && destination !== location.href) noteStop();
      destination = null;
    });
    nav.addEventListener('navigatesuccess', () => { destination = null; });
  }
}

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

// SHORT_TEXT is the length up to which shortText decodes a string of a batch: the event ids
// and types of a batch that is not all ASCII, whose decoding with TextDecoder costs more than
// the bytes themselves (a call into the browser per string).
const SHORT_TEXT = 32;

// shortText returns the n bytes of u8 at p as a string: by char codes when they are ASCII,
// else with the decoder (UTF-8 with replacement, as everywhere else).
function shortText(u8, p, n) {
  for (let i = p; i < p + n; i++) {
    if (u8[i] >= 0x80) return decoder.decode(u8.subarray(p, p + n));
  }
  return String.fromCharCode.apply(null, u8.subarray(p, p + n));
}

// u32le returns the little-endian uint32 at p in u8.
function u32le(u8, p) {
  return (u8[p] | (u8[p + 1] << 8) | (u8[p + 2] << 16) | (u8[p + 3] << 24)) >>> 0;
}

// batchText returns the n bytes at p of a batch u8 as a string: a slice of whole, the
// batch decoded in one go, when there is one, else decoded on their own (module
// functions, not closures made per batch).
function batchText(u8, p, n, whole) {
  if (n === 0) return '';
  if (whole !== null) return whole.slice(p, p + n);
  return n <= SHORT_TEXT ? shortText(u8, p, n) : decoder.decode(u8.subarray(p, p + n));
}

// READ_BUFFER is the size of the buffer a byte-stream body is read into (see
// responseHandle): a read returns what has arrived, up to that.
const READ_BUFFER = 256 << 10;

// The bits of rt.push's result (polysse_push in jsbridge).
const PUSH_OVER = 1; // the stream is over: push nothing more, and run Go's scheduler
const PUSH_BATCH = 2; // call the sink's _batch with the batch Go describes at out, first

// responseHandle wraps a Response for Go. The body is read from start() on (so that
// classify may still clone the Response), with one read always pending, and each chunk is
// pushed into Go as it arrives: written straight into Go's memory (rt.memory) at the
// address rt.buffer gives, then handed over by rt.push, inside which Go parses it and
// encodes its events into a batch; when the push says so (PUSH_BATCH), the sink Go named
// in start() decodes that batch (described at the address start() gave) and dispatches it, right after the push (see pushState in
// jsbridge): a chunk costs no call from Go into JavaScript. Nothing but numbers crosses the
// boundary. A read that fails is reported as a lost connection, or, when stopped() says
// that the page stopped loading, as a permanent failure; one after signal aborted is Go's
// own doing. Go ends the stream by its answer to a push, or by cancel(); aborted() makes
// sure that an aborted request ends it even if a custom fetch's body ignores the signal.
function responseHandle(response, signal, stopped, rt) {
  let reader = null;
  let id = 0; // Go's id of the body, from start()
  let sink = null; // the EventSource's sink, which takes the batches of pushes, from start()
  let out = 0; // where Go leaves a pushed batch's address, length and count, from start()
  let ptr = 0; // Go's buffer for the next chunk, of cap bytes
  let cap = 0;
  let over = false; // Go has the end, or cancelled: push nothing more
  let pending = false;
  let failure = null;
  const later = (f) => { Promise.resolve().then(f); };
  // push hands Go n bytes written at ptr, or the end (-1) or a failure (-2). When the
  // stream is over, the client's goroutine waits to go on: rt.resume runs Go's scheduler.
  const push = (n) => {
    if (over) return;
    const r = rt.push(id, n);
    if (r & PUSH_BATCH) {
      const o = new Uint32Array(rt.memory.buffer, out, 3); // address, length, count
      try {
        sink._batch(o[0], o[1], o[2]);
      } catch (e) {
        console.error(`polysse: _batch: ${(e && (e.message || e.name)) || e}`); // as Go reports a sink's exception
      }
    }
    if (r & PUSH_OVER) {
      over = true;
      rt.resume();
    }
  };
  const deliver = (chunk) => {
    if (chunk.length > cap) {
      ptr = rt.buffer(id, chunk.length);
      cap = ptr ? chunk.length : 0;
      if (!ptr) { over = true; return; } // the body closed
    }
    new Uint8Array(rt.memory.buffer, ptr, chunk.length).set(chunk); // a fresh view: memory grows
    push(chunk.length);
  };
  const fail = (e) => {
    if (!failure) failure = e;
    push(-2);
  };
  // With a byte stream (a fetch body is one), the body is read into one buffer of
  // READ_BUFFER bytes, handed back and forth: no new buffer per chunk.
  let view = null;
  // The reactions of a read, made once (not a pair of closures per chunk).
  const onRead = ({ done, value }) => {
    pending = false;
    if (over) return;
    if (done) push(-1);
    else if (view === null && !isUint8Array(value)) fail(Object.assign(new TypeError('the response body yielded a chunk that is not a Uint8Array'), { permanent: true }));
    else {
      // A read into view returns a Uint8Array over view's (transferred) buffer.
      if (value.length) deliver(value);
      if (view !== null) view = new Uint8Array(value.buffer);
      pump();
    }
  };
  const onReadFailed = (e) => {
    pending = false;
    if (over) return;
    if (signal.aborted) fail(e);
    else if (stopped()) fail(Object.assign(new TypeError(STOPPED), { permanent: true }));
    else fail(failedWith('connection lost', e));
  };
  const pump = () => {
    if (pending || over) return;
    pending = true;
    (view !== null ? reader.read(view) : reader.read()).then(onRead, onReadFailed);
  };
  const headers = [];
  response.headers.forEach((v, k) => headers.push([k, v]));
  return {
    response,
    status: response.status,
    statusText: response.statusText,
    url: response.url,
    headers,
    get failure() { return failure; },
    start(goID, goSink, goOut) {
      id = goID;
      sink = goSink;
      out = goOut;
      if (over) return;
      if (failure) later(() => push(-2)); // aborted before the stream started
      else if (!response.body) later(() => push(-1));
      else {
        try {
          reader = response.body.getReader({ mode: 'byob' });
          view = new Uint8Array(READ_BUFFER);
        } catch {
          reader = response.body.getReader(); // not a byte stream
        }
        pump();
      }
    },
    aborted(e) {
      if (over || failure) return;
      failure = e;
      if (id) later(() => push(-2));
    },
    cancel() {
      over = true;
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
//
// makeMessageEvent returns the class and, where the EventSource may call the listeners of
// its message events itself (see EventSource.#deliver), the hooks that make an event look
// dispatched to them: at(e, target) before the first listener, stopped(e) after each (0,
// or 1 after stopPropagation, 2 after stopImmediatePropagation), done(e) after the last.
// Such an event answers target, currentTarget, eventPhase, srcElement and composedPath()
// as one that dispatchEvent dispatched at target does, during and after the dispatch; one
// dispatched by dispatchEvent answers through MessageEvent.prototype. hooks is null where events
// keep those fields as their own (happy-dom), which the getters could not shadow.
function makeMessageEvent() {
  const Base = globalThis.MessageEvent;
  const probe = new Base('message');
  const own = (k) => Object.prototype.hasOwnProperty.call(probe, k);
  if (own('data')) {
    // happy-dom's events carry data, origin and lastEventId as own fields, which would hide
    // the getters below: give them the values through the init dictionary instead.
    return {
      SourceMessageEvent: class MessageEvent extends Base {
        constructor(type, data, origin, lastEventId) { super(type, { data, origin, lastEventId }); }
      },
      hooks: null,
    };
  }
  let hooks = null;
  class MessageEvent extends Base {
    #data;
    #origin;
    #lastEventId;
    #target = null; // set when polysse calls the listeners itself
    // -1 unless polysse is calling its listeners; during that 0, or 1 after
    // stopPropagation, 2 after stopImmediatePropagation (one field: each costs the
    // construction of every event).
    #stop = -1;
    constructor(type, data, origin, lastEventId) {
      super(type);
      this.#data = data;
      this.#origin = origin;
      this.#lastEventId = lastEventId;
    }
    get data() { return this.#data; }
    get origin() { return this.#origin; }
    get lastEventId() { return this.#lastEventId; }
    // The event's own dispatch answers as long as dispatchEvent never dispatched it
    // (super.target null) and is not dispatching it (super.eventPhase NONE): a page may
    // dispatch an event it received again, on another target.
    get target() { return super.target ?? this.#target; }
    get srcElement() { return super.srcElement ?? this.#target; }
    get currentTarget() { return super.eventPhase !== 0 || this.#stop < 0 ? super.currentTarget : this.#target; }
    get eventPhase() { return super.eventPhase !== 0 || this.#stop < 0 ? super.eventPhase : 2; } // AT_TARGET
    composedPath() { return super.eventPhase !== 0 || this.#stop < 0 ? super.composedPath() : [this.#target]; }
    // The flags are EventTarget's too (cancelBubble shows them), which leaves them set
    // after a dispatch, as Chromium does.
    stopPropagation() {
      if (this.#stop === 0) this.#stop = 1;
      super.stopPropagation();
    }
    stopImmediatePropagation() {
      if (this.#stop >= 0) this.#stop = 2;
      super.stopImmediatePropagation();
    }
    static {
      hooks = {
        at(e, target) { e.#target = target; e.#stop = 0; },
        stopped(e) { return e.#stop; },
        done(e) { e.#stop = -1; },
      };
    }
  }
  // The shadowed members must be MessageEvent.prototype's (or Event.prototype's) own:
  // anything else (an event class keeping them as own fields) would not be shadowed.
  for (const k of ['target', 'currentTarget', 'eventPhase', 'srcElement']) {
    if (own(k)) hooks = null;
  }
  return { SourceMessageEvent: MessageEvent, hooks };
}

// callListener calls one event listener (a function, or an object with a handleEvent
// method, looked up at each call) as dispatchEvent does: this is the target for a
// function, the object for handleEvent; an exception is reported (the page's error event,
// the console) and does not stop the other listeners. An object whose handleEvent is not
// callable is skipped, or reported as a TypeError, as the browser's own dispatchEvent does.
function callListener(callback, target, e) {
  try {
    if (typeof callback === 'function') {
      callback.call(target, e);
    } else {
      const f = callback.handleEvent;
      if (typeof f === 'function') f.call(callback, e);
      else if (reportsBadHandleEvent()) throw new TypeError("The provided callback's 'handleEvent' property is not a function.");
    }
  } catch (err) {
    reportError(err);
  }
}

// atTarget tells how the browser's dispatchEvent calls the listeners of the event's target:
// captureFirst, capturing listeners before the others (the DOM standard), or all in the
// order of registration (Chromium); with captureFirst, stopBetween: stopPropagation in a
// capturing listener keeps the others from being called. It asks the browser once.
let targetOrder;
function atTarget() {
  if (targetOrder === undefined) {
    const t = new EventTarget();
    const order = [];
    t.addEventListener('probe', () => order.push('bubble'));
    t.addEventListener('probe', (e) => { order.push('capture'); e.stopPropagation(); }, true);
    t.dispatchEvent(new Event('probe'));
    targetOrder = { captureFirst: order[0] === 'capture', stopBetween: order.length === 1 };
  }
  return targetOrder;
}

// reportsBadHandleEvent reports whether the browser's dispatchEvent reports a listener
// object whose handleEvent is not callable (the DOM standard: a TypeError) or skips it
// (Chromium), asking the browser once.
let badHandleEvent;
function reportsBadHandleEvent() {
  if (badHandleEvent === undefined) {
    badHandleEvent = false;
    const seen = (e) => { badHandleEvent = true; e.preventDefault(); };
    globalThis.addEventListener('error', seen);
    try {
      const t = new EventTarget();
      t.addEventListener('probe', { handleEvent: null });
      t.dispatchEvent(new Event('probe'));
    } finally {
      globalThis.removeEventListener('error', seen);
    }
  }
  return badHandleEvent;
}

// listenerOptions returns the capture, once and signal members of addEventListener's
// options argument (a boolean is capture).
function listenerOptions(options) {
  if (options === null || options === undefined) return { capture: false, once: false, signal: undefined };
  if (typeof options !== 'object' && typeof options !== 'function') return { capture: Boolean(options), once: false, signal: undefined };
  return { capture: Boolean(options.capture), once: Boolean(options.once), signal: options.signal ?? undefined };
}

// isNative reports whether f is a function of the browser itself, not JavaScript that
// wraps one (zone.js, error reporters patch EventTarget.prototype).
function isNative(f) {
  try {
    return typeof f === 'function' && /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(f));
  } catch {
    return false;
  }
}

function readOnly(event, fields) {
  for (const [k, v] of Object.entries(fields)) {
    Object.defineProperty(event, k, { value: v, enumerable: true });
  }
  return event;
}

function createAPI(bridge, version, rt) {
  // running counts the Go clients that have not ended: only while there is one do the
  // timers armed for Go keep Node alive (clock.js).
  let clients = 0;
  const running = (d) => {
    clients += d;
    rt.keepAlive(clients > 0);
  };
  const NativeEventSource = globalThis.EventSource;
  const { SourceMessageEvent, hooks } = makeMessageEvent();
  // Message events are delivered by calling their listeners directly (#deliver) where the
  // result is the same as dispatchEvent's: in a browser (reportError reports a listener's
  // exception as dispatchEvent does; Node's EventTarget reports them its own way), with
  // EventTarget.prototype's methods the browser's own, unwrapped (zone.js, say, wraps the
  // listeners that addEventListener registers, and runs them in its zones), and unchanged
  // since. dispatchEvent costs about 1.9 µs per event in Chromium, more than polysse's
  // other work for a 64 B event; calling a listener costs nanoseconds.
  const ET = EventTarget.prototype;
  const { addEventListener: add0, removeEventListener: remove0, dispatchEvent: dispatch0 } = ET;
  const canDeliver = hooks !== null && typeof globalThis.reportError === 'function' &&
    isNative(add0) && isNative(remove0) && isNative(dispatch0);
  // zone.js is looked for when a source connects, not per batch: a property missing on a
  // window costs a named-property lookup (element ids, frames).
  const direct = (zoneFree) => zoneFree && canDeliver && ET.addEventListener === add0 &&
    ET.removeEventListener === remove0 && ET.dispatchEvent === dispatch0;

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
    #restarting = false; // restart() dropped the connection: nothing of it until the next open
    // #listeners records the listeners added through addEventListener, by type: arrays of
    // {callback, capture, once, removed}, replaced on every change (never changed in
    // place), so that a delivery walks the listeners as they were when it started.
    #listeners = new Map();

    constructor(url, eventSourceInitDict = undefined) {
      super();
      if (arguments.length < 1) {
        throw new TypeError("Failed to construct 'EventSource': 1 argument required, but only 0 present.");
      }
      const s = `${url}`; // WebIDL USVString conversion: a Symbol throws a TypeError
      this.#url = parseURL(s).href;
      this.#opts = normalize(eventSourceInitDict);
      this.#withCredentials = this.#opts.withCredentials;
      this.#opts.transport = fetchTransport(rt);
      watchStops();
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
      this.#fireClose('local', false, 0, '', true, undefined, '');
    }

    // restart drops the connection (or ends the wait before the next attempt) and
    // connects again at once; see Client.Restart in Go. Not a failure: no error event.
    restart() {
      if (this.#readyState === CLOSED) return;
      this.#readyState = CONNECTING;
      this.#restarting = true;
      if (this.#handle) this.#handle.restart();
    }

    // #connect starts a Go client; #gen tells its callbacks from those of a client
    // stopped earlier (openWhenHidden: false restarts clients).
    #connect() {
      const gen = ++this.#gen;
      const zoneFree = globalThis.Zone === undefined;
      const live = () => gen === this.#gen && this.#readyState !== CLOSED;
      const sink = {
        _open: (status, statusText, url) => {
          if (!live()) return;
          this.#readyState = OPEN;
          this.#restarting = false;
          try { this.#origin = new URL(url).origin; } catch { this.#origin = new URL(this.#url).origin; }
          this.dispatchEvent(new Event('open'));
        },
        // _batch(ptr, len, count): count events, encoded at ptr in Go's memory (see
        // jsbridge): decoded first, then dispatched, since a listener may run Go code that
        // grows the memory or reuses the batch.
        _batch: (ptr, len, count) => {
          if (!live()) return;
          const n = this.#decodeBatch(new Uint8Array(rt.memory.buffer, ptr, len), count);
          const { types, ids, datas } = this.#batch;
          const fast = direct(zoneFree);
          let i = 0;
          for (; i < n; i++) {
            if (this.#restarting) { // restart(), before or by a listener: drop the rest
              // Go counts them delivered: resume after the last event dispatched.
              if (live() && this.#handle) this.#handle.restart(this.#lastId);
              break;
            }
            const type = types[i];
            const id = ids[i];
            this.#type = type;
            this.#lastId = id;
            if (!live()) break; // closed by a listener
            const data = datas[i];
            datas[i] = undefined; // no event data kept alive by the arrays
            this.#deliver(fast, type, data, id);
          }
          for (; i < n; i++) datas[i] = undefined; // nor that of events left undelivered
        },
        _comment: (text, lastId) => {
          if (!live() || this.#restarting) return;
          this.#lastId = lastId;
          this.#deliver(direct(zoneFree), 'comment', text, lastId);
        },
        // _error and _close: the status is 0 after a stream that had opened, and the
        // message is worded for users (both by the binding).
        _error: (status, statusText, attempt, retryIn, closing, message) => {
          if (!live()) return;
          this.#readyState = closing ? CLOSED : CONNECTING;
          const fields = { attempt };
          if (status) { fields.status = status; fields.statusText = statusText; }
          if (!closing) fields.retryIn = retryIn;
          if (message) fields.message = message;
          this.dispatchEvent(readOnly(new Event('error'), fields));
        },
        _close: (reason, fatal, status, statusText, isLocal, data, message) => {
          running(-1); // this Go client has ended, and its timers with it
          if (gen !== this.#gen) return;
          this.#handle = null;
          if (this.#readyState !== CLOSED) this.#readyState = CLOSED;
          this.#removeVisibility();
          this.#fireClose(reason, fatal, status, statusText, isLocal, data === '' ? undefined : data, message);
        },
      };
      const opts = { ...this.#opts, lastEventId: this.#lastId };
      this.#handle = bridge.open(sink, this.#url, opts);
      running(+1);
    }

    // #decodeBatch decodes the count records of a batch (u8) into this.#batch and returns
    // how many there were. A record is a flag byte (1: a new event type follows, 2: a new
    // last event ID follows), then those strings and the data, each as a little-endian
    // uint32 length and UTF-8 bytes.
    //
    // A batch in which each byte decodes to one UTF-16 code unit (ASCII, or a byte that is
    // invalid UTF-8 on its own either way) is decoded in one go: its strings are then slices
    // of the result, the same strings a decode per string gives, for much less (a decode per
    // 64 B string costs about 10 times a slice). Then the length of the result equals the
    // byte length: every multi-byte sequence decodes to fewer units than it has bytes. A
    // batch that is not is decoded per string, and so are the next 32 batches (a stream that
    // carries non-ASCII text mostly keeps doing so). A slice keeps its batch's string alive,
    // so batches above 64 KiB are decoded per string.
    #wholeSkip = 0;
    #batch = { types: [], ids: [], datas: [] };
    #decodeBatch(u8, count) {
      const len = u8.length;
      let whole = null;
      if (len > 65536) {
        // per string
      } else if (this.#wholeSkip > 0) {
        this.#wholeSkip--;
      } else {
        whole = decoder.decode(u8);
        if (whole.length !== len) {
          whole = null;
          this.#wholeSkip = 32;
        }
      }
      const { types, ids, datas } = this.#batch;
      let type = this.#type;
      let id = this.#lastId;
      let p = 0;
      let i = 0;
      for (; i < count && p < len; i++) {
        const flags = u8[p++];
        let n;
        if (flags & 1) {
          n = u32le(u8, p);
          type = batchText(u8, p + 4, n, whole);
          p += 4 + n;
        }
        if (flags & 2) {
          n = u32le(u8, p);
          id = batchText(u8, p + 4, n, whole);
          p += 4 + n;
        }
        types[i] = type;
        ids[i] = id;
        n = u32le(u8, p);
        datas[i] = batchText(u8, p + 4, n, whole);
        p += 4 + n;
      }
      return i;
    }

    // #deliver dispatches a message event: with dispatchEvent, or, when fast, by calling the
    // listeners of #listeners itself, as dispatchEvent would at the target: in the order of
    // registration (or capturing listeners first, see atTarget); a once listener removed
    // before its call; one removed meanwhile skipped; stopImmediatePropagation ends it.
    // An event that no listener would see is not built.
    #deliver(fast, type, data, lastId) {
      if (!fast) {
        this.dispatchEvent(new SourceMessageEvent(type, data, this.#origin, lastId));
        return;
      }
      const list = this.#listeners.get(type);
      if (list === undefined) return;
      const e = new SourceMessageEvent(type, data, this.#origin, lastId);
      hooks.at(e, this);
      try {
        // One pass in the order of registration, or, where the browser calls capturing
        // listeners at the target first, two (see atTarget).
        const two = list.captures > 0 && atTarget().captureFirst;
        for (let pass = two ? 0 : 1; pass < 2; pass++) {
          const capture = pass === 0;
          // (Only after a capturing pass: before it, no listener has seen the event.)
          if (two && !capture && atTarget().stopBetween && (hooks.stopped(e) > 0 || e.cancelBubble)) return;
          for (let i = 0; i < list.length; i++) {
            const l = list[i];
            if (l.removed || (two && l.capture !== capture)) continue;
            if (l.once) {
              super.removeEventListener(type, l.callback, l.capture);
              this.#forget(type, l);
            }
            callListener(l.callback, this, e);
            if (hooks.stopped(e) > 1) return;
          }
        }
      } finally {
        hooks.done(e);
      }
    }

    // addEventListener and removeEventListener are EventTarget's, which also record the
    // listeners for #deliver. EventTarget's checks the arguments first (and throws as it
    // does); a listener it would not add (null, a duplicate, an aborted signal) is not
    // recorded either.
    addEventListener(type, callback) {
      super.addEventListener(...arguments);
      if (callback === null || callback === undefined) return;
      const { capture, once, signal } = listenerOptions(arguments[2]);
      if (signal !== undefined && signal.aborted) return;
      const t = `${type}`;
      const list = this.#listeners.get(t) ?? [];
      if (list.some((l) => l.callback === callback && l.capture === capture)) return;
      const l = { callback, capture, once, removed: false };
      const next = [...list, l];
      next.captures = (list.captures ?? 0) + (capture ? 1 : 0);
      this.#listeners.set(t, next);
      if (signal !== undefined) signal.addEventListener('abort', () => this.#forget(t, l), { once: true });
    }

    removeEventListener(type, callback) {
      super.removeEventListener(...arguments);
      if (callback === null || callback === undefined) return;
      const { capture } = listenerOptions(arguments[2]);
      const t = `${type}`;
      const l = this.#listeners.get(t)?.find((x) => x.callback === callback && x.capture === capture);
      if (l) this.#forget(t, l);
    }

    #forget(type, l) {
      const list = this.#listeners.get(type);
      if (l.removed || !list) return;
      l.removed = true;
      const next = list.filter((x) => x !== l);
      if (next.length === 0) {
        this.#listeners.delete(type);
        return;
      }
      next.captures = list.captures - (l.capture ? 1 : 0);
      this.#listeners.set(type, next);
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

    #fireClose(reason, fatal, status, statusText, isLocal, data, message) {
      if (this.#closeFired) return;
      this.#closeFired = true;
      if (!CLOSE_REASONS.includes(reason)) reason = 'network';
      const fields = { reason, fatal, status, statusText: status ? statusText : '', isLocal, data };
      if (message) fields.message = message;
      this.dispatchEvent(readOnly(new Event('close'), fields));
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
  // addEventListener and removeEventListener, EventTarget's operations, are too.
  for (const name of ['url', 'withCredentials', 'readyState', 'onopen', 'onmessage', 'onerror', 'onclose', 'close', 'restart',
    'addEventListener', 'removeEventListener']) {
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
  const { keepAlive, hooks } = useTestClock(go); // clock.js: Go's clock and timers follow a test's fake timers
  const { instance } = await instantiate(go.importObject);
  let bridge;
  const prev = Object.getOwnPropertyDescriptor(globalThis, '__polysseReady');
  globalThis.__polysseReady = (api) => { bridge = api; return hooks; }; // the module's timers: clock.js
  try {
    go.run(instance).catch(reportError); // main runs synchronously up to its first block
  } finally {
    if (prev) Object.defineProperty(globalThis, '__polysseReady', prev);
    else delete globalThis.__polysseReady;
  }
  if (!bridge) throw new Error('polysse: the wasm module did not start');
  const x = instance.exports;
  // rt is what a response handle needs of the module to push chunks into it.
  const rt = {
    memory: x.mem,
    buffer: (id, n) => (go.exited ? 0 : x.polysse_buffer(id, n) >>> 0),
    push: (id, n) => (go.exited ? PUSH_OVER : x.polysse_push(id, n)),
    resume: () => { if (!go.exited) go._resume(); },
    keepAlive,
  };
  return createAPI(bridge, bridge.version, rt);
}

// withOwnGo runs load (defineGo, which defines globalThis.Go) and returns the Go class it
// defined, leaving the page's own globalThis.Go as it was.
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
// and compilation overlap with the evaluation of the rest of the loader. Go's module imports
// nothing but the "gojs" functions wasm_exec.js provides at instantiation, so compiling
// needs no Go class. It uses only globals (no const of this file), so that polysse.js can
// call it before this file's top level has run (classic.js).
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
