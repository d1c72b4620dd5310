// polysse and the life of a Node process: a closed source leaves no timer that keeps Node
// alive (Go's runtime leaves the JS timer of a Go timer it stopped armed until it fires:
// the heartbeat watchdog, the backoff), while a running source keeps it alive through its
// backoff. Each case runs in a child process of its own, with a local server, and times
// how long the child takes to exit. Run by scripts/test-browser.sh (node --test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

// child is the script of a child process. The server answers the first request by ending
// the stream at once with a retry field (MODE=backoff*: 6 s for backoff-later, 1 s for
// backoff-reconnect) or by keeping it open; later requests get an event and stay open. It prints "closed <ms>" when the source is closed and "exit <ms>" when
// the process exits.
const child = `
import http from 'node:http';
import { init } from 'polysse';
const mode = process.env.MODE;
const t0 = performance.now();
const ms = () => Math.round(performance.now() - t0);
let n = 0;
const srv = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  if (n++ === 0 && mode.startsWith('backoff')) res.end('retry: ' + (mode === 'backoff-later' ? 6000 : 1000) + '\\n\\n');
  else res.write('data: hi\\n\\n');
});
await new Promise((r) => srv.listen(0, '127.0.0.1', r));
srv.unref(); // only polysse may keep the process alive
const { EventSource } = await init();
const es = new EventSource('http://127.0.0.1:' + srv.address().port + '/', { heartbeatTimeout: 8000, retry: { initial: 1000 } });
const close = () => { es.close(); srv.closeAllConnections(); srv.close(); console.log('closed', ms()); };
if (mode === 'message') es.onmessage = close;
else if (mode === 'later') es.onmessage = () => setTimeout(close, 100);
else if (mode === 'backoff-later') es.onerror = () => setTimeout(close, 100);
else if (mode === 'backoff-reconnect') es.onmessage = close;
process.on('exit', () => console.log('exit', ms()));
`;

function run(mode) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', child], { cwd: here, env: { ...process.env, MODE: mode } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => { p.kill(); reject(new Error(`${mode}: still running after 20 s\n${out}${err}`)); }, 20_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      const at = (k) => Number((new RegExp(`^${k} (\\d+)$`, 'm').exec(out) || [])[1]);
      if (code !== 0) reject(new Error(`${mode}: exit code ${code}\n${out}${err}`));
      else resolve({ closed: at('closed'), exit: at('exit') });
    });
  });
}

for (const [mode, what] of [
  ['message', 'closed from a message listener, heartbeat armed'],
  ['later', 'closed from a timer while the stream is open'],
  ['backoff-later', 'closed while waiting to reconnect'],
]) {
  test(`a source ${what} lets Node exit at once`, async () => {
    const r = await run(mode);
    assert.ok(Number.isFinite(r.closed), 'the source was closed');
    assert.ok(r.exit - r.closed < 2000, `exit ${r.exit - r.closed} ms after the close (the heartbeat is 8 s, the backoff 6 s)`);
  });
}

test('a running source keeps Node alive through its backoff', async () => {
  const r = await run('backoff-reconnect');
  assert.ok(r.closed >= 900, `closed at ${r.closed} ms: the reconnect came after the 1 s backoff`);
});
