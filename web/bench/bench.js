// make bench-browser: the page side. run.mjs calls window.bench.run() once per measurement.
import { EventSource as NpmEventSource } from 'eventsource';
import { fetchEventSource } from '@microsoft/fetch-event-source';
import { WORKLOADS, encode, expect, key, query } from '/bench/workloads.mjs';

const Native = window.NativeEventSource;
const { EventSourcePolyfill } = window;

// Each client opens url, calls onEvent(e) for every event of the given type (e.data is the
// data) and returns a function that closes it.
function listen(es, type, onEvent, onError) {
  es.addEventListener(type, onEvent);
  es.addEventListener('error', onError);
  return () => es.close();
}

let polysse; // the API, once loaded
// With ?exp=CLIENT=URL,...: other builds of polysse (ES modules) to compare, as clients
// (loadPolysse adds them).

const clients = {
  native: (url, type, onEvent, onError) => listen(new Native(url), type, onEvent, onError),
  polysse: (url, type, onEvent, onError) => listen(new polysse.EventSource(url), type, onEvent, onError),
  eventsource: (url, type, onEvent, onError) => listen(new NpmEventSource(url), type, onEvent, onError),
  'fetch-event-source': (url, type, onEvent, onError) => {
    const ac = new AbortController();
    fetchEventSource(url, {
      signal: ac.signal,
      openWhenHidden: true,
      // One callback for every event; the listeners of the other clients see only the type.
      onmessage: (e) => { if ((e.event || 'message') === type) onEvent(e); },
      onerror: (e) => { onError(e); throw e; }, // no retry
    }).catch(onError);
    return () => ac.abort();
  },
  'event-source-polyfill': (url, type, onEvent, onError) =>
    listen(new EventSourcePolyfill(url, { heartbeatTimeout: 10 * 60 * 1000 }), type, onEvent, onError),
};

const expected = new Map(WORKLOADS.map((w) => [key(w), expect(w)]));

// fetchReader is not an EventSource: a fetch that reads the body and does nothing with it
// (run.mjs --clients fetch-reader), the floor of every fetch-based client. It records the
// chunk sizes, which show whether the flushes arrived on their own.
async function fetchReader(w, url, chunks) {
  const { bytes: all } = encode({ n: w.n, size: w.size, kind: w.kind, flush: w.flush });
  const res = await fetch(url);
  const rd = res.body.getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await rd.read();
    if (done) return;
    bytes += value.length;
    chunks.push(value.length);
    if (bytes >= all.length) { rd.cancel(); return; }
  }
}


// run measures one client on one workload (its key, workloads.mjs): the time from
// construction to the listener receiving the n-th event.
async function run({ client, workload, timeoutMs }) {
  const make = clients[client];
  const w = WORKLOADS.find((x) => key(x) === workload);
  if ((!make && client !== 'fetch-reader') || !w) return { status: `unknown client ${client} or workload ${workload}` };
  const { n } = w;
  const { type, chars: want } = expected.get(workload);
  const url = `/stream?${query(w)}`;
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
      if (count === n) finish(chars === want ? 'ok' : 'bad-data');
    };
    const onError = () => { errors++; };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    const t0 = performance.now();
    if (client === 'fetch-reader') {
      const chunks = [];
      fetchReader(w, url, chunks).then(() => {
        const ms = performance.now() - t0;
        clearTimeout(timer);
        chunks.sort((a, b) => a - b);
        resolve({ status: 'ok', count: n, chars: want, errors: 0, ms, chunks: chunks.length, chunkMedian: chunks[chunks.length >> 1], chunkMax: chunks.at(-1) });
      }, (e) => resolve({ status: `error ${e}`, ms: performance.now() - t0 }));
      return;
    }
    close = make(url, type, onEvent, onError);
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
  for (const e of (new URLSearchParams(location.search).get('exp') || '').split(',').filter(Boolean)) {
    const [client, url] = e.split('=');
    const api = await (await import(url)).init();
    clients[client] = (u, type, onEvent, onError) => listen(new api.EventSource(u), type, onEvent, onError);
  }
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
