// Serves the Vite build (dist/) and an event stream at /events on 127.0.0.1, loads the page
// in headless Chromium (playwright-core, no browser download) and waits until the page has
// received the events and the complete event. Exits non-zero with the reason otherwise.
//
//   node check.mjs DIST_DIR
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';

const dist = process.argv[2];
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css' };

const seen = { streams: [], files: [] };
const server = createServer(async (req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  if (path === '/events') {
    seen.streams.push({ accept: req.headers.accept, header: req.headers['x-pack-test'] });
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.end(': hello\n\nid: 1\ndata: first\n\nid: 2\ndata: second\n\n' +
      'event: complete\nid: 0b0e4f3e-8d4c-4a39-9d0c-1d2f0c6c7a11\ndata: {"ok":true}\n\n');
    return;
  }
  const file = normalize(join(dist, path === '/' ? 'index.html' : path));
  if (!file.startsWith(normalize(dist))) { res.writeHead(403).end(); return; }
  try {
    const body = await readFile(file);
    seen.files.push(path);
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end('not found');
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/`;
console.log(`serving ${dist} at ${url}`);

const fail = (msg) => { console.error(`FAIL: ${msg}`); process.exitCode = 1; };
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 60_000 });
try {
  const page = await browser.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`page error: ${e.message}`));
  await page.goto(url);
  try {
    await page.waitForSelector('#out[data-done="true"]', { timeout: 60_000 });
  } catch {
    fail(`the page did not finish within 60 s: ${await page.textContent('#out')}`);
  }
  const text = await page.textContent('#out');
  console.log(`page: ${text}`);
  let r = {};
  try { r = JSON.parse(text); } catch { fail('the page shows no result'); }
  if (r.error) fail(`the page failed: ${r.error}`);
  const got = (r.events || []).map((e) => `${e.id}:${e.data}`).join(',');
  if (got !== '1:first,2:second') fail(`events ${got}, want 1:first,2:second`);
  if (!r.close || r.close.reason !== 'complete' || r.close.fatal || r.close.data !== '{"ok":true}') {
    fail(`close ${JSON.stringify(r.close)}, want reason complete with data {"ok":true}`);
  }
  if (seen.streams.length !== 1) fail(`${seen.streams.length} requests to /events, want 1 (the complete event ends the source)`);
  for (const s of seen.streams) {
    if (s.header !== 'from-polysse') fail(`/events without the X-Pack-Test header (${JSON.stringify(s)})`);
    if (s.accept !== 'text/event-stream') fail(`/events with Accept ${s.accept}`);
  }
  if (!seen.files.some((f) => f.endsWith('.wasm'))) fail(`no .wasm was loaded (files: ${seen.files.join(' ')})`);
  if (process.exitCode) console.error(logs.join('\n'));
  else console.log(`ok: the Vite build loaded polysse ${r.version} (${seen.files.join(' ')}) and received its events`);
} finally {
  await browser.close();
  server.close();
}
