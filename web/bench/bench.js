// make bench-browser: the page side. run.mjs calls window.bench.run() once per measurement.
import { EventSource as NpmEventSource } from 'eventsource';
import { fetchEventSource } from '@microsoft/fetch-event-source';

const Native = window.NativeEventSource;
const { EventSourcePolyfill } = window;

// Each client opens url, calls onEvent(e) for every message event (e.data is the data)
// and returns a function that closes it.
function listen(es, onEvent, onError) {
  es.addEventListener('message', onEvent);
  es.addEventListener('error', onError);
  return () => es.close();
}

let polysse; // the API, once loaded
let polysseExp; // with ?exp=URL: a second build of polysse (an ES module) to compare

const clients = {
  native: (url, onEvent, onError) => listen(new Native(url), onEvent, onError),
  polysse: (url, onEvent, onError) => listen(new polysse.EventSource(url), onEvent, onError),
  'polysse-exp': (url, onEvent, onError) => listen(new polysseExp.EventSource(url), onEvent, onError),
  eventsource: (url, onEvent, onError) => listen(new NpmEventSource(url), onEvent, onError),
  'fetch-event-source': (url, onEvent, onError) => {
    const ac = new AbortController();
    fetchEventSource(url, {
      signal: ac.signal,
      openWhenHidden: true,
      onmessage: onEvent,
      onerror: (e) => { onError(e); throw e; }, // no retry
    }).catch(onError);
    return () => ac.abort();
  },
  'event-source-polyfill': (url, onEvent, onError) =>
    listen(new EventSourcePolyfill(url, { heartbeatTimeout: 10 * 60 * 1000 }), onEvent, onError),
};

// run measures one client on one workload: the time from construction to the listener
// receiving the n-th event.
function run({ client, n, size, timeoutMs }) {
  const make = clients[client];
  if (!make) return Promise.resolve({ status: `unknown client ${client}` });
  const url = `/stream?n=${n}&size=${size}`;
  return new Promise((resolve) => {
    let count = 0, chars = 0, errors = 0, close = null, done = false;
    const finish = (status) => {
      if (done) return;
      done = true;
      const ms = performance.now() - t0;
      clearTimeout(timer);
      try { close?.(); } catch { /* ignore */ }
      resolve({ status, count, chars, errors, ms });
    };
    const onEvent = (e) => {
      count++;
      chars += e.data.length;
      if (count === n) finish(chars === n * size ? 'ok' : 'bad-data');
    };
    const onError = () => { errors++; };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    const t0 = performance.now();
    close = make(url, onEvent, onError);
    if (done) close(); // finished during construction (cannot happen with real events)
  });
}

async function loadPolysse() {
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/dist/polysse.js';
    s.onload = resolve;
    s.onerror = () => reject(new Error('cannot load /dist/polysse.js'));
    document.head.appendChild(s);
  });
  polysse = await window.polysse.ready;
  const ms = performance.now() - t0;
  const exp = new URLSearchParams(location.search).get('exp');
  if (exp) polysseExp = await (await import(exp)).init();
  return { ms, version: polysse.version };
}

// dispatchCosts times the per-event building blocks of an EventTarget-based EventSource
// (run.mjs --profile dispatch): nanoseconds per event (best of 5) for each way of making and delivering
// a message event with 64 bytes of data to one listener.
function dispatchCosts(n = 200_000) {
  const data = 'x'.repeat(64);
  const bytes = new TextEncoder().encode(data);
  const decoder = new TextDecoder();
  const origin = location.origin;
  class Target extends EventTarget {}
  let sink = 0;
  const listener = (e) => { sink += e.data.length; };
  const t = new Target();
  t.addEventListener('message', listener);
  // A MessageEvent subclass that keeps data, origin and lastEventId in private fields
  // instead of passing an init dictionary to the Blink constructor.
  class FastMessageEvent extends MessageEvent {
    #data; #origin; #lastEventId;
    constructor(type, data, origin, lastEventId) {
      super(type);
      this.#data = data; this.#origin = origin; this.#lastEventId = lastEventId;
    }
    get data() { return this.#data; }
    get origin() { return this.#origin; }
    get lastEventId() { return this.#lastEventId; }
  }
  class FastEvent extends Event {
    #data; #origin; #lastEventId;
    constructor(type, data, origin, lastEventId) {
      super(type);
      this.#data = data; this.#origin = origin; this.#lastEventId = lastEventId;
    }
    get data() { return this.#data; }
    get origin() { return this.#origin; }
    get lastEventId() { return this.#lastEventId; }
  }
  // A 256 KiB batch of 64-byte records, as the Go binding sends it (for the decode cases).
  const per = 256 << 10 >> 6;
  const batch = new Uint8Array(per * 64).fill(120);
  const cases = {
    'TextDecoder.decode per 64 B record of a 256 KiB batch': () => {
      for (let i = 0; i < n; i += per) for (let j = 0; j < per; j++) sink += decoder.decode(batch.subarray(j * 64, j * 64 + 64)).length;
    },
    'one TextDecoder.decode per 256 KiB batch + String.slice per record': () => {
      for (let i = 0; i < n; i += per) { const str = decoder.decode(batch); for (let j = 0; j < per; j++) sink += str.slice(j * 64, j * 64 + 64).length; }
    },
    'new MessageEvent(type) (no init dictionary)': () => { for (let i = 0; i < n; i++) sink += new MessageEvent('message').type.length; },
    'new FastMessageEvent (MessageEvent subclass, private fields)': () => { for (let i = 0; i < n; i++) sink += new FastMessageEvent('message', data, origin, '').data.length; },
    'new FastMessageEvent + dispatchEvent': () => { for (let i = 0; i < n; i++) t.dispatchEvent(new FastMessageEvent('message', data, origin, '')); },
    'new FastEvent (Event subclass) + dispatchEvent': () => { for (let i = 0; i < n; i++) t.dispatchEvent(new FastEvent('message', data, origin, '')); },
    'plain callback with an object': () => { for (let i = 0; i < n; i++) listener({ data, origin, lastEventId: '' }); },
    'TextDecoder.decode (64 B)': () => { for (let i = 0; i < n; i++) sink += decoder.decode(bytes).length; },
    'new MessageEvent(type, {data, origin, lastEventId})': () => { for (let i = 0; i < n; i++) sink += new MessageEvent('message', { data, origin, lastEventId: '' }).data.length; },
    'new MessageEvent(type, {data})': () => { for (let i = 0; i < n; i++) sink += new MessageEvent('message', { data }).data.length; },
    'new MessageEvent(type) + initMessageEvent': () => { for (let i = 0; i < n; i++) { const e = new MessageEvent('message'); e.initMessageEvent('message', false, false, data, origin, ''); sink += e.data.length; } },
    'new Event(type)': () => { for (let i = 0; i < n; i++) sink += new Event('message').type.length; },
    'dispatchEvent of a new Event': () => { for (let i = 0; i < n; i++) { const e = new Event('message'); e.data = data; t.dispatchEvent(e); } },
    'new MessageEvent({data, origin, lastEventId}) + dispatchEvent': () => { for (let i = 0; i < n; i++) t.dispatchEvent(new MessageEvent('message', { data, origin, lastEventId: '' })); },
    'initMessageEvent + dispatchEvent': () => { for (let i = 0; i < n; i++) { const e = new MessageEvent('message'); e.initMessageEvent('message', false, false, data, origin, ''); t.dispatchEvent(e); } },
    'new MessageEvent(type, {data, lastEventId})': () => { for (let i = 0; i < n; i++) sink += new MessageEvent('message', { data, lastEventId: '' }).data.length; },
    'new MessageEvent(type, {data, origin})': () => { for (let i = 0; i < n; i++) sink += new MessageEvent('message', { data, origin }).data.length; },
    'new MessageEvent, reused init dictionary': () => { const init = { data, origin, lastEventId: '' }; for (let i = 0; i < n; i++) sink += new MessageEvent('message', init).data.length; },
  };
  const out = {};
  for (const [name, f] of Object.entries(cases)) {
    f(); // warm up
    let best = Infinity;
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      f();
      best = Math.min(best, performance.now() - t0);
    }
    out[name] = (best * 1e6) / n;
  }
  return { ns: out, sink };
}

window.bench = { run, loadPolysse, dispatchCosts, clients: Object.keys(clients) };
window.benchReady = true;
