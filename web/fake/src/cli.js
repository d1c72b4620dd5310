// polysse fake: the polysse-fake command (a fragment of dist/polysse-fake.mjs, after
// web/src/clock.js and engine.js; see scripts/wasm.d/20-fake.sh): node:http in front of the
// engine of polysse-fake.wasm, with the control API under /__polysse.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { fstatSync } from 'node:fs';
import { parseArgs } from 'node:util';

const USAGE = `usage: polysse-fake [--port 4010] [--host 127.0.0.1] [--routes FILE]...
                    [--cors echo|echo-nocreds|star|off] [--no-preflight] [--max-hold 10m] [--quiet]

Serves the routes of the script files (JSON, version 1) with polysse's fake SSE server, and
its control API under /__polysse. Prints one JSON line, {"url": ..., "control": ...}, once it
listens; stops on SIGINT, SIGTERM, or when its standard input (a pipe) closes.

  --port N          the port (0: any free port; default 4010)
  --host H          the address to listen on (default 127.0.0.1)
  --routes FILE     a script file whose routes every scope starts with (repeatable)
  --cors MODE       CORS of the routes that do not set it: echo (the default: the request's
                    Origin, with credentials), echo-nocreds, star, off
  --no-preflight    do not answer CORS preflight requests for routes that do not say
  --max-hold D      end held connections after D (e.g. 30s, 10m; default: never)
  --quiet           log nothing (default: warnings and errors on standard error)`;

// parseDuration reads 1500ms, 30s, 10m, 1h or a number of milliseconds.
function parseDuration(s) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(s).trim());
  if (!m) throw new Error(`--max-hold: ${s} is not a duration (e.g. 30s, 10m)`);
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 'ms']);
}

function fail(msg) {
  process.stderr.write(`polysse-fake: ${msg}\n`);
  process.exit(2);
}

async function main() {
  let args;
  try {
    args = parseArgs({
      options: {
        port: { type: 'string', default: '4010' },
        host: { type: 'string', default: '127.0.0.1' },
        routes: { type: 'string', multiple: true, default: [] },
        cors: { type: 'string', default: 'echo' },
        'no-preflight': { type: 'boolean', default: false },
        'max-hold': { type: 'string', default: '0' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    fail(`${e.message}\n${USAGE}`);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port: ${args.port} is not a port`);
  let maxHold;
  try { maxHold = parseDuration(args['max-hold']); } catch (e) { fail(e.message); }

  const api = await loadFakeWasm();
  const log = (level, line) => process.stderr.write(`polysse-fake: ${level}: ${line}\n`);
  const id = check(api.newEngine(JSON.stringify({
    cors: args.cors, preflight: !args['no-preflight'], maxHold, logLevel: args.quiet ? 'silent' : 'warn', standalone: true,
  }), log));
  for (const file of args.routes) {
    let text;
    try { text = await readFile(file, 'utf8'); } catch (e) { fail(`--routes ${file}: ${e.message}`); }
    const r = api.load(id, text);
    if (isErr(r)) fail(`--routes ${file}: ${r.fakeError}`);
  }

  const server = createServer((req, res) => serveNode(api, id, req, res));
  server.on('clientError', (err, socket) => { if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'); });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, args.host, resolve);
  }).catch((e) => fail(`listening on ${args.host}:${port}: ${e.message}`));
  const addr = server.address();
  const host = addr.family === 'IPv6' || addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  process.stdout.write(`${JSON.stringify({ url, control: `${url}/__polysse` })}\n`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections();
    api.close(id, () => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref(); // held streams cannot keep it up
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Standard input that is a pipe (a test runner's) ends it when it closes; /dev/null and
  // a terminal do not.
  let stdinPipe = false;
  try {
    const st = fstatSync(0);
    stdinPipe = st.isFIFO() || st.isSocket();
  } catch { /* no standard input */ }
  if (stdinPipe) {
    process.stdin.on('end', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }
}

// serveNode serves one node:http request with the engine (the control API included).
function serveNode(api, id, req, res) {
  const chunks = [];
  let size = 0;
  const limit = (1 << 20) + 1; // the engine answers 413 beyond 1 MiB; read no more than that
  req.on('data', (c) => {
    if (size < limit) chunks.push(c);
    size += c.length;
  });
  req.on('error', () => res.destroy());
  req.on('end', () => {
    res.socket?.setNoDelay(true);
    const host = req.headers.host || `${req.socket.localAddress}:${req.socket.localPort}`;
    const url = `http://${host}${req.url.startsWith('/') ? req.url : `/${req.url}`}`;
    const headers = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const k = req.rawHeaders[i].toLowerCase();
      if (k === 'host' || k === 'transfer-encoding') continue; // as net/http's Request.Header
      headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
    }
    const body = size ? new Uint8Array(Buffer.concat(chunks).subarray(0, limit)) : null;
    let handle;
    let done = false;
    const sink = {
      head(status, pairs, statusText) {
        const h = {};
        for (const [k, v] of pairs) (h[k] ??= []).push(v);
        try {
          res.writeHead(status, statusText, h);
          res.flushHeaders();
        } catch (e) {
          log(`writing the head of ${req.method} ${req.url}: ${e.message}`);
        }
      },
      chunk(bytes) {
        if (res.destroyed || res.writableEnded) return -1;
        if (res.write(bytes)) return 1;
        res.once('drain', () => handle && handle.pull());
        return 0;
      },
      end(message) {
        done = true;
        if (!message) {
          res.end();
          return;
        }
        // A drop: what was written reaches the client, then the connection is cut in the
        // middle of the response (no last chunk): a network error for the client.
        const s = res.socket;
        if (!s) return res.destroy();
        s.end();
        setTimeout(() => s.destroy(), 1000).unref();
      },
    };
    res.on('close', () => { if (!done && handle) handle.abort(); });
    try {
      handle = serveOn(api, id, { method: req.method, url, headers, body }, sink);
    } catch (e) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${e.message}\n`);
    }
  });
}

function log(msg) { process.stderr.write(`polysse-fake: ${msg}\n`); }

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
