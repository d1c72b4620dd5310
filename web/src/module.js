// ES module loader: init() loads the module once and resolves with the API. In Node the
// wasm file is read from disk; in browsers it is streamed with compileStreaming.
let loaded;

export async function init(options = {}) {
  if (!loaded) {
    loaded = load(options);
    loaded.catch(() => { loaded = undefined; }); // a failed load may be retried
  }
  return loaded;
}

async function load(options) {
  const module = source(options).then(compile);
  module.catch(() => {}); // reported through the returned promise, below
  const Go = await withOwnGo(defineGo); // wasm_exec.js is part of this module (defineGo)
  return runGo(Go, instantiate(module));
}

// source resolves options to what compile takes: a module, bytes (a file: URL is read from
// disk, as in Node), or a URL to fetch.
async function source(options) {
  const s = options.wasmModule ?? options.wasmURL ?? new URL('./polysse.wasm', import.meta.url);
  if (s instanceof WebAssembly.Module || s instanceof ArrayBuffer || ArrayBuffer.isView(s)) return s;
  const url = new URL(String(s), import.meta.url);
  if (url.protocol === 'file:') {
    const { readFile } = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:fs/promises');
    return readFile(url);
  }
  return url.href;
}

export default init;
