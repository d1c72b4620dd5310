// polysse fake: the polysse-fake command (a fragment of dist/polysse-fake.mjs, after
// web/src/clock.js and engine.js; see scripts/wasm.d/20-fake.sh): node:http in front of the
// engine of polysse-fake.wasm, with the control API under /__polysse.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { fstatSync } from 'node:fs';
import { parseArgs } from 'node:util';

const USAGE = `usage: polysse-fake [--routes FILE]... [--port 0] [--host 127.0.0.1]
                    [--cors echo|echo-nocreds|star|off] [--max-hold 10m] [--quiet] [--stdin=true]

Serves the routes of JSON script files (version 1) with polysse's fake SSE server, and its
control API under /__polysse. Once it listens it prints one line of JSON on standard output,
{"url": ..., "control": ...}, and serves until SIGINT or SIGTERM, or until its standard
input reaches its end (the process that started it went away) when that is a pipe.

  --routes FILE   a script file whose routes every scope starts with (repeatable)
  --port N        the port to listen on (default 0: a free port)
  --host H        the address to listen on (default 127.0.0.1)
  --cors MODE     CORS of the routes that do not set it: echo (the default: the request's
                  Origin is allowed, with credentials), echo-nocreds, star or off; CORS
                  preflights are answered
  --max-hold D    the longest a response is held open (default 10m; 0: no bound)
  --quiet         log nothing (default: warnings and errors on standard error)
  --stdin=false   do not stop at the end of standard input`;

// parseDuration reads a duration as Go writes them (300ms, 1.5s, 10m, 1h30m), or 0.
function parseDuration(s) {
  const text = String(s).trim();
  if (text === '0') return 0;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let ms = 0;
  const rest = text.replace(/(\d+(?:\.\d+)?)(ms|s|m|h)/g, (_, n, u) => { ms += Number(n) * unit[u]; return ''; });
  if (rest !== '' || text === '') throw new Error(`--max-hold: ${s} is not a duration (e.g. 30s, 10m, 1h30m)`);
  return Math.round(ms);
}

// normalizeArgs accepts the spellings Go's flag package accepts, so that both commands take
// the same command lines: -name as --name, and --name=true|false for boolean flags.
function normalizeArgs(argv) {
  const out = [];
  for (const a of argv) {
    let arg = /^-[a-z]{2,}/.test(a) ? `-${a}` : a;
    const m = /^--(stdin|quiet|help)=(true|false|1|0)$/.exec(arg);
    if (m) {
      const on = m[2] === 'true' || m[2] === '1';
      if (m[1] === 'stdin') arg = on ? '--stdin' : '--no-stdin';
      else if (!on) continue;
      else arg = `--${m[1]}`;
    }
    out.push(arg);
  }
  return out;
}

function fail(msg) {
  process.stderr.write(`polysse-fake: ${msg}\n`);
  process.exit(2);
}

async function main() {
  let args;
  try {
    args = parseArgs({
      args: normalizeArgs(process.argv.slice(2)),
      options: {
        routes: { type: 'string', multiple: true, default: [] },
        port: { type: 'string', default: '0' },
        host: { type: 'string', default: '127.0.0.1' },
        cors: { type: 'string', default: 'echo' },
        'max-hold': { type: 'string', default: '10m' },
        quiet: { type: 'boolean', default: false },
        stdin: { type: 'boolean', default: true },
        'no-stdin': { type: 'boolean', default: false },
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
  if (!/^\d+$/.test(args.port) || port > 65535) fail(`--port ${args.port}: not a port (0 to 65535)`);
  if (!['echo', 'echo-nocreds', 'star', 'off'].includes(args.cors)) fail(`--cors ${JSON.stringify(args.cors)}: want echo, echo-nocreds, star or off`);
  let maxHold;
  try { maxHold = parseDuration(args['max-hold']); } catch (e) { fail(e.message); }

  const api = await loadFakeWasm();
  const log = (level, line) => process.stderr.write(`polysse-fake: ${level}: ${line}\n`);
  const id = check(api.newEngine(JSON.stringify({
    cors: args.cors, preflight: true, maxHold, logLevel: args.quiet ? 'silent' : 'warn', standalone: true,
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
  // Standard input that is a pipe (a test runner's, Playwright's webServer's) ends it when
  // it closes; /dev/null (a background job) and a terminal do not.
  let stdinPipe = false;
  if (args.stdin && !args['no-stdin']) try {
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
