// Classic-script loader: <script src="polysse.js"> defines globalThis.polysse.ready, a
// Promise of the API. The wasm URL defaults to polysse.wasm beside the script; a
// data-wasm attribute on the script element overrides it.
const script = typeof document !== 'undefined' ? document.currentScript : null;
const base = (script && script.src) || baseURL();
const wasmURL = new URL((script && script.dataset && script.dataset.wasm) || 'polysse.wasm', base).href;
const execURL = new URL('wasm_exec.js', base).href;

function loadScript(src) {
  if (typeof document === 'undefined') {
    importScripts(src); // a classic worker
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = () => { s.remove(); resolve(); };
    s.onerror = () => reject(new Error(`polysse: cannot load ${src}`));
    (document.head || document.documentElement).appendChild(s);
  });
}

const ready = (async () => {
  const module = compile(wasmURL);
  module.catch(() => {}); // reported through ready, below
  const Go = await withOwnGo(() => loadScript(execURL));
  return runGo(Go, instantiate(module));
})();
globalThis.polysse = { ready };
