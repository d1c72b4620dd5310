// polysse fake: the loader of polysse-fake.wasm and the JavaScript side of its binding
// (a fragment of dist/fake.mjs and dist/polysse-fake.mjs, after web/src/clock.js; see
// scripts/wasm.d/20-fake.sh). One Go instance per JavaScript realm serves every fake of
// that realm; its clock follows the test's fake timers (useTestClock, clock.js).

/** FakeError is what the fake throws: code says which kind of failure it is. */
export class FakeError extends Error {
  constructor(message, code = 'ERROR', extra = undefined) {
    super(message);
    this.code = code;
    if (extra) Object.assign(this, extra);
  }
}
Object.defineProperty(FakeError.prototype, 'name', { value: 'FakeError', configurable: true, writable: true });

// isErr reports whether a binding call returned an error value.
const isErr = (v) => v !== null && typeof v === 'object' && typeof v.fakeError === 'string';
const toError = (v) => new FakeError(v.fakeError, v.code);

// check returns v, or throws the error a binding call returned.
function check(v) {
  if (isErr(v)) throw toError(v);
  return v;
}

// callAsync calls start(cb) (a binding function taking a callback last) and returns a
// promise of its result. An error the call returns at once is thrown at once. The promise
// is marked handled: a caller that does not await it is not told of a later failure (a
// connection that ended meanwhile); one that awaits it is.
function callAsync(start) {
  let resolve, reject;
  const p = new Promise((res, rej) => { resolve = res; reject = rej; });
  const r = start((err, v) => (err ? reject(toError(err)) : resolve(v)));
  if (isErr(r)) throw toError(r);
  p.catch(() => {});
  return p;
}

let fakeWasm; // Promise of the binding of this realm's Go instance
let FakeGo; // wasm_exec.js's Go class, kept once loaded

/** loadFakeWasm starts this realm's Go instance of polysse-fake.wasm once. */
function loadFakeWasm(options = {}) {
  if (!fakeWasm) {
    fakeWasm = startFakeWasm(options);
    fakeWasm.catch(() => { fakeWasm = undefined; }); // a failed load may be retried
  }
  return fakeWasm;
}

async function startFakeWasm(options) {
  const module = fakeWasmSource(options).then(fakeCompile);
  module.catch(() => {}); // reported below
  if (!FakeGo) {
    // A URL of its own (the query), so that this evaluation of wasm_exec.js is not the
    // cached one polysse's own loader may have run: each defines Go when it runs.
    const execURL = new URL('./wasm_exec.js?polysse-fake', import.meta.url).href;
    const prev = Object.getOwnPropertyDescriptor(globalThis, 'Go');
    try {
      await import(/* webpackIgnore: true */ /* @vite-ignore */ execURL);
      FakeGo = globalThis.Go;
      if (typeof FakeGo !== 'function') throw new Error('polysse fake: wasm_exec.js did not define Go');
    } finally {
      if (prev) Object.defineProperty(globalThis, 'Go', prev);
      else delete globalThis.Go;
    }
  }
  const go = new FakeGo();
  useTestClock(go); // clock.js: Go's clock and timers follow a test's fake timers
  const instance = await WebAssembly.instantiate(await module, go.importObject);
  let api;
  const prev = Object.getOwnPropertyDescriptor(globalThis, '__polysseFakeReady');
  globalThis.__polysseFakeReady = (a) => { api = a; };
  try {
    go.run(instance).catch((e) => console.error('polysse fake: the wasm module stopped:', e));
  } finally {
    if (prev) Object.defineProperty(globalThis, '__polysseFakeReady', prev);
    else delete globalThis.__polysseFakeReady;
  }
  if (!api) throw new Error('polysse fake: the wasm module did not start');
  return api;
}

// fakeWasmSource resolves the wasm's source: a module or bytes given, a file: URL read from
// disk (Node), or a URL to fetch.
async function fakeWasmSource(options) {
  const s = options.wasmModule ?? options.wasmURL ?? new URL('./polysse-fake.wasm', import.meta.url);
  if (s instanceof WebAssembly.Module || s instanceof ArrayBuffer || ArrayBuffer.isView(s)) return s;
  const url = new URL(String(s), import.meta.url);
  if (url.protocol === 'file:') {
    const { readFile } = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:fs/promises');
    return readFile(url);
  }
  return url.href;
}

async function fakeCompile(source) {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
  if (typeof WebAssembly.compileStreaming === 'function') {
    try {
      return await WebAssembly.compileStreaming(fetch(source));
    } catch (e) {
      if (!(e instanceof TypeError)) throw e; // a wrong MIME type: fall back
    }
  }
  const r = await fetch(source);
  if (!r.ok) throw new Error(`polysse fake: fetching ${source} failed: ${r.status}`);
  return WebAssembly.compile(await r.arrayBuffer());
}

// goBytes returns bytes as a Uint8Array of this realm's global Uint8Array, which Go's
// CopyBytesToGo requires: in Vitest's jsdom environment the global is jsdom's, while
// Node's TextEncoder, Buffer and streams make Node's.
function goBytes(b) {
  if (b === null || b === undefined || b instanceof Uint8Array) return b ?? null;
  return new Uint8Array(b);
}

// serveOn serves one request on an engine of the binding. parts: { method, url, headers
// ([name, value] pairs), body (Uint8Array or null) }. sink receives the answer:
// head(status, headerPairs, statusText), chunk(bytes) → 1 (room) | 0 (full: call
// pull() when there is room again) | -1 (gone), end(null | message). It returns
// { abort(), pull() }: abort tells the engine that the client went away.
function serveOn(api, engineID, parts, sink) {
  const id = check(api.serve(engineID, parts.method, parts.url, parts.headers, goBytes(parts.body), sink));
  return {
    abort() { api.abort(id); },
    pull() { api.pull(id); },
  };
}
