// Classic-script loader: <script src="polysse.js"> defines globalThis.polysse.ready, a
// Promise of the API. The wasm URL defaults to polysse.wasm beside the script; a
// data-wasm attribute on the script element overrides it.
//
// scripts/wasm.d/10-web.sh puts this file first in polysse.js, before clock.js and core.js,
// so that the download and compilation of polysse.wasm start before the rest of the script
// is evaluated: what runs here synchronously uses only function declarations (hoisted),
// never a const of the files after it. wasm_exec.js is part of polysse.js (defineGo), so
// no second script is fetched.
const script = typeof document !== 'undefined' ? document.currentScript : null;
const wasmURL = new URL((script && script.dataset && script.dataset.wasm) || 'polysse.wasm',
  (script && script.src) || baseURL()).href;

const ready = (async () => {
  const module = compile(wasmURL);
  module.catch(() => {}); // reported through ready, below
  const Go = await withOwnGo(defineGo);
  return runGo(Go, instantiate(module));
})();
globalThis.polysse = { ready };
