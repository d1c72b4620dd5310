// polysse fake: the sse.* builders (a fragment of dist/fake.mjs and dist/fake-remote.mjs;
// scripts/wasm.d/20-fake.sh assembles them). Every builder returns plain data in the fake's
// script format: JSON.stringify(sse.stream(...)) is a valid answer, and the same objects
// drive the fake in process, over the control API, and in a routes file.

// ROUTE_KEYS are the keys of a route object besides its pattern, answers and options.
const ROUTE_KEYS = ['name', 'match', 'attemptKey'];

// routeSpec builds a route object from route(pattern, answer, options) arguments: answer is
// an answer, a list of answers, or a handler function; options mixes the route's name, match
// and attemptKey with the options of its server (heartbeat, topics, ...), or is a route
// object's options as they are ({ options: {...} }).
function routeSpec(pattern, answer, options) {
  if (pattern !== null && typeof pattern === 'object') {
    if (answer !== undefined || options !== undefined) throw new TypeError('polysse fake: a route object takes no further arguments');
    if (typeof pattern.route !== 'string') throw new TypeError('polysse fake: a route object needs "route": "METHOD /path"');
    return { ...pattern };
  }
  if (typeof pattern !== 'string') throw new TypeError('polysse fake: a route is "METHOD /path" (e.g. "GET /events") or a route object');
  const spec = { route: pattern };
  if (typeof answer === 'function') spec.handler = answer;
  else if (Array.isArray(answer)) spec.answers = answer;
  else if (answer !== undefined && answer !== null) spec.answers = [answer];
  if (options !== undefined && options !== null) {
    if (typeof options !== 'object') throw new TypeError('polysse fake: route options must be an object');
    const server = {};
    for (const [k, v] of Object.entries(options)) {
      if (ROUTE_KEYS.includes(k)) spec[k] = v;
      else if (k === 'options') Object.assign(server, v);
      else server[k] = v;
    }
    if (Object.keys(server).length) spec.options = server;
  }
  return spec;
}

// routeJSON returns the JSON of a route object without its handler.
function routeJSON(spec) {
  const { handler, ...data } = spec; // eslint-disable-line no-unused-vars
  return JSON.stringify(data);
}

// base64 encodes bytes (btoa exists in browsers and in Node >= 16).
function base64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

// bytesOfView returns the bytes of an ArrayBuffer or a view, or null for anything else.
function bytesOfView(v) {
  if (v instanceof ArrayBuffer || Object.prototype.toString.call(v) === '[object ArrayBuffer]') return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return null;
}

function withField(answer, key, value) {
  if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) {
    throw new TypeError(`polysse fake: sse.${key}() takes an answer (sse.stream, sse.respond or sse.networkError)`);
  }
  return { ...answer, [key]: value };
}

/** The builders of routes, answers and steps (see fake.d.ts). */
export const sse = Object.freeze({
  /** A route: a pattern ("GET /jobs/{id}/events"), its answers or handler, and options. */
  route: (pattern, answer, options) => routeSpec(pattern, answer, options),
  /** A script file: { version: 1, routes }. */
  file: (routes) => ({ version: 1, routes: routes.map((r) => JSON.parse(routeJSON(routeSpec(r)))) }),

  // answers
  /** An answer streamed by the route's server: the steps after its preamble. */
  stream: (...steps) => ({ stream: steps.flat() }),
  /** A plain HTTP answer, not through the server: any status, headers, and a body of text or steps. */
  respond: (status, init = {}) => {
    const respond = { status };
    if (init.headers !== undefined) respond.headers = init.headers;
    if (init.body !== undefined) respond.body = init.body;
    return { respond };
  },
  /** No response at all: the client sees a network error. */
  networkError: () => ({ drop: true }),
  /** The answer serves n attempts (then the next answer takes over). */
  times: (n, answer) => withField(answer, 'times', n),
  /** The answer waits first (ms on the fake's clock, or 'forever': until the client goes away). */
  delay: (ms, answer) => withField(answer, 'delay', ms),

  // steps
  /** An event: { type?, id?, data?, retry? }; data that is not a string is sent as its JSON text. */
  event: (event) => ({ event }),
  /** A comment line (": text"); without text, the bare ":" of a heartbeat. */
  comment: (text = '') => ({ comment: text }),
  /** A heartbeat: the bare ":" comment line. */
  heartbeat: () => ({ comment: '' }),
  /** A retry field alone (ms). */
  retry: (ms) => ({ retry: ms }),
  /** Exactly these bytes as one chunk: a string (sent as UTF-8) or bytes. */
  raw: (data) => {
    const b = bytesOfView(data);
    return b ? { rawBase64: base64(b) } : { raw: String(data) };
  },
  /** Sleep on the fake's clock (ms). */
  wait: (ms) => ({ wait: ms }),
  /** Publish an event to a topic through the route's server (replay and auto ids apply). */
  publish: (topic, event) => ({ publish: { topic, event } }),
  /** Repeat steps n times (null: until the connection ends); {i} is the round. */
  repeat: (n, ...steps) => ({ repeat: n, steps: steps.flat() }),

  // endings
  /** End the response cleanly: a spec client reconnects. */
  end: () => 'end',
  /** Cut the connection: a network error for the client. */
  drop: () => 'drop',
  /** Keep the connection open until the client goes away, the test ends it, or reset. */
  hold: () => 'hold',
  /** End with a complete event carrying a completion token: the reconnect gets 204. */
  complete: (data) => (data === undefined ? { complete: '' } : { complete: data }),
  /** End with a fatal event: the reconnect gets 204 with SSE-Outcome: fatal. */
  fail: (data) => (data === undefined ? { fail: '' } : { fail: data }),
});
