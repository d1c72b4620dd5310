// ES module loader: init() loads the module once and resolves with the API. In Node the
// wasm file is read from disk; in browsers it is streamed with instantiateStreaming.
let loaded;

export async function init(options = {}) {
  if (!loaded) {
    loaded = load(options);
    loaded.catch(() => { loaded = undefined; }); // a failed load may be retried
  }
  return loaded;
}

async function load(options) {
  const execURL = new URL('./wasm_exec.js', import.meta.url).href;
  const Go = await withOwnGo(() => import(execURL));
  let source = options.wasmModule ?? options.wasmURL ?? new URL('./polysse.wasm', import.meta.url);
  if (!(source instanceof WebAssembly.Module) && !(source instanceof ArrayBuffer) && !ArrayBuffer.isView(source)) {
    const url = new URL(String(source), import.meta.url);
    if (url.protocol === 'file:') {
      const { readFile } = await import('node:fs/promises');
      source = await readFile(url);
    } else {
      source = url.href;
    }
  }
  return runGo(Go, (importObject) => instantiateFrom(source, importObject));
}

export default init;
