// An app as a user writes it: polysse from npm, bundled by Vite. It uses options the
// native EventSource does not have (a request header, a complete event), so an event that
// arrives proves that polysse, its wasm and wasm_exec.js all made it into the build.
import { init } from 'polysse';

const out = document.getElementById('out');
const result = { events: [] };
const done = (extra) => {
  Object.assign(result, extra);
  out.dataset.done = 'true';
  out.textContent = JSON.stringify(result);
};

try {
  const api = await init();
  result.version = api.version;
  const es = new api.EventSource('/events', {
    headers: { 'X-Pack-Test': 'from-polysse' },
    completeEvent: 'complete',
  });
  es.onmessage = (e) => { result.events.push({ data: e.data, id: e.lastEventId }); };
  es.addEventListener('close', (e) => done({ close: { reason: e.reason, fatal: e.fatal, data: e.data } }));
} catch (e) {
  done({ error: String(e && e.stack || e) });
}
