// make bench-browser: the local server (run.mjs starts it as a child process).
//
//   node server.mjs --root DIR [--hold 120000]
//
// It listens on 127.0.0.1 only, prints "listening http://ADDR" once it accepts
// connections, and exits when its standard input closes (the parent went away). It serves
// DIR (the page, web/dist and the npm peers under bench/node_modules) with Cache-Control:
// no-cache (and 304 for an unchanged file), and
// /stream?n=N&flush=F&interval=MS&(size=S|kind=mixed) (workloads.mjs): the stream is
// encoded once and cached, then written flush by flush, each flush a write of its own, one
// every MS milliseconds (on a schedule from the start, so that a late one does not delay
// the rest); with interval 0 as fast as the socket takes them. Then the response stays
// open until the client goes away (or --hold ms), so that no client sees an end of stream
// and reconnects.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { setImmediate as turn, setTimeout as sleep } from 'node:timers/promises';
import { encode } from './workloads.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) => (i % 2 ? a : [...a, [v.replace(/^--/, ''), all[i + 1]]]), []));
const root = resolve(args.root || '.');
const hold = Number(args.hold || 120_000);
const MAX_STREAM = 64 << 20;

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm',
  '.css': 'text/css', '.map': 'application/json', '.ts': 'text/plain',
};

const streams = new Map();

function stream(q) {
  const n = Number(q.get('n'));
  const size = Number(q.get('size') || 0);
  const flush = Number(q.get('flush') || 0);
  const kind = q.get('kind') === 'mixed' ? 'mixed' : 'plain';
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(size) || size < 0 || !Number.isInteger(flush) || flush < 0 ||
      (kind === 'plain' && n * (size + 8) > MAX_STREAM) || (kind === 'mixed' && n > 200_000)) return null;
  const k = `${kind}/${n}/${size}/${flush}`;
  if (!streams.has(k)) streams.set(k, encode({ n, size, kind, flush }));
  return streams.get(k);
}

async function serveStream(req, res, s, interval) {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': '*' });
  let gone = false;
  res.on('close', () => { gone = true; });
  const t0 = performance.now();
  let off = 0;
  for (const [k, end] of s.ends.entries()) {
    if (interval > 0) {
      const wait = t0 + k * interval - performance.now();
      if (wait > 0) await sleep(wait);
    }
    if (gone) return;
    const ok = res.write(s.bytes.subarray(off, end));
    off = end;
    if (!ok) await new Promise((r) => { res.once('drain', r); res.once('close', r); });
    else if (interval <= 0) await turn();
  }
  const t = setTimeout(() => res.end(), hold);
  res.on('close', () => clearTimeout(t));
}

async function serveFile(req, res, path) {
  const file = normalize(join(root, decodeURIComponent(path)));
  if (file !== root && !file.startsWith(root + sep)) return notFound(res);
  let st;
  try {
    st = await stat(file);
  } catch {
    return notFound(res);
  }
  if (st.isDirectory()) return notFound(res);
  // Revalidation as net/http's FileServer does it: the browser keeps polysse.wasm (and the
  // code compiled from it) in its caches across page loads.
  const since = Date.parse(req.headers['if-modified-since'] || '');
  if (Number.isFinite(since) && Math.floor(st.mtimeMs / 1000) * 1000 <= since) {
    res.writeHead(304, { 'Cache-Control': 'no-cache', 'Last-Modified': st.mtime.toUTCString() });
    return res.end();
  }
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] || 'application/octet-stream',
    'Content-Length': st.size, 'Cache-Control': 'no-cache', 'Last-Modified': st.mtime.toUTCString(),
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file).pipe(res);
}

function notFound(res) {
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('not found\n');
}

const server = createServer({ noDelay: true }, (req, res) => {
  const u = new URL(req.url, 'http://localhost');
  if (u.pathname === '/stream') {
    const s = stream(u.searchParams);
    if (!s) {
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      res.end('want /stream?n=N&flush=F&size=S (or kind=mixed), at most 64 MiB\n');
      return;
    }
    const interval = Number(u.searchParams.get('interval') || 0);
    serveStream(req, res, s, Number.isFinite(interval) && interval > 0 ? interval : 0).catch(() => res.destroy());
    return;
  }
  serveFile(req, res, u.pathname).catch(() => res.destroy());
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`listening http://127.0.0.1:${port}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
