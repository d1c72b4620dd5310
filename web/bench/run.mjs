// make bench-browser: drives one headless Chromium session (Debian's /usr/bin/chromium through
// playwright-core, never a downloaded browser) against server.mjs and prints events/s per
// client and workload (workloads.mjs), the ratio to native, the geometric means, and
// polysse's ready time.
//
//   node run.mjs [--root DIR] [--rounds 5] [--markdown FILE] [--workloads K,K,...]
//                [--profile CLIENT:WORKLOAD|dispatch|ready] [--exp [NAME=]URLDIR,...] [--clients A,B,...]
//                [--ready-loads 7]
//
// DIR (default: the web/ directory) is what the server serves: /bench/* is this directory,
// /dist/* the output of make wasm. --exp /exp/ adds a client polysse-exp, a second build of
// polysse (URLDIR/polysse.mjs, and URLDIR/polysse.js for its ready time) served from DIR,
// to measure a change against the current build in the same session; several, each
// named (--exp a=/exp-a/,b=/exp-b/), add clients polysse-a, polysse-b. Workload keys: 64B,
// 1KiB, 64KiB, mixed, 64B-1w, 1KiB-1w, 64KiB-1w.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import { WORKLOADS as ALL_WORKLOADS, encode, key } from './workloads.mjs';

const here = dirname(fileURLToPath(import.meta.url));

let WORKLOADS = ALL_WORKLOADS.filter((w) => !w.diagnostic);
let CLIENTS = ['native', 'polysse', 'eventsource', 'fetch-event-source', 'event-source-polyfill'];
const CHROMIUM_ARGS = [...(process.env.JSFLAGS ? [`--js-flags=${process.env.JSFLAGS}`] : []), '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const RUN_TIMEOUT_MS = 60_000;
const READY_LOADS = 7;

function parseArgs(argv) {
  const o = { root: resolve(here, '..'), rounds: 5, 'ready-loads': READY_LOADS, markdown: '', profile: '', chromium: '/usr/bin/chromium', exp: '', clients: '', workloads: '' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '');
    if (!(k in o)) throw new Error(`unknown option ${argv[i]}`);
    o[k] = argv[++i];
  }
  o.rounds = Number(o.rounds);
  o['ready-loads'] = Number(o['ready-loads']);
  if (!(o['ready-loads'] >= 1)) throw new Error('--ready-loads must be at least 1');
  if (!(o.rounds >= 1)) throw new Error('--rounds must be at least 1');
  return o;
}

async function startServer(root) {
  // The server exits when this process goes away and its stdin closes.
  const child = spawn(process.execPath, [resolve(here, 'server.mjs'), '--root', root],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const timer = setTimeout(() => child.kill(), 10_000);
  for await (const line of lines) {
    const m = /^listening (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
    if (m) {
      clearTimeout(timer);
      return { url: m[1], stop: () => { child.stdin.end(); child.kill(); } };
    }
  }
  throw new Error('server.mjs did not start');
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function rotate(xs, k) {
  k %= xs.length;
  return xs.slice(k).concat(xs.slice(0, k));
}

// readyPage is the page that times polysse.js: ready.html, or ready-exp.html for another
// build's polysse.js (src, --exp).
const readyPage = (base, src) => (src ? `${base}/bench/ready-exp.html?src=${encodeURIComponent(src)}` : `${base}/bench/ready.html`);

async function loadReady(context, url) {
  const page = await context.newPage();
  try {
    await page.goto(url);
    const r = await page.evaluate(async () => {
      const res = await window.readyResult;
      const wasm = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/polysse.wasm'));
      return { ...res, wasmFetchEnd: wasm ? wasm.responseEnd - window.readyT0 : NaN };
    });
    if (r.error) throw new Error(`polysse.ready rejected: ${r.error}`);
    return r;
  } finally {
    await page.close();
  }
}

// measureReady times polysse.ready for each of urls (the ready pages of the builds compared),
// interleaved, in two kinds of page load:
//   - first loads, each in a browser context of its own: an empty HTTP cache, an empty code
//     cache and a renderer process of its own, which is what a first visit has;
//   - repeat loads, in one context per build after one first load that is not counted:
//     polysse.js and polysse.wasm come from the HTTP cache, revalidated (the server sends
//     Cache-Control: no-cache, then 304), and V8 may use what it cached from earlier loads.
// It returns, per url, { first: [...ms], repeat: [...ms], wasmFetchEnd: [...ms] }.
async function measureReady(browser, urls, loads = READY_LOADS) {
  const out = urls.map(() => ({ first: [], repeat: [], wasmFetchEnd: [] }));
  const warm = [];
  for (const url of urls) {
    const c = await browser.newContext();
    warm.push(c);
    await loadReady(c, url);
  }
  try {
    for (let i = 0; i < loads; i++) {
      for (const [k, url] of urls.entries()) {
        const c = await browser.newContext();
        try {
          const r = await loadReady(c, url);
          out[k].first.push(r.ms);
          out[k].wasmFetchEnd.push(r.wasmFetchEnd);
        } finally {
          await c.close();
        }
        out[k].repeat.push((await loadReady(warm[k], url)).ms);
      }
    }
  } finally {
    for (const c of warm) await c.close();
  }
  return out;
}

const fmtMs = (xs) => `median ${median(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`;

// READY_TRACE_CATEGORIES: V8's WebAssembly events (streaming compilation, instantiation,
// each lazy compilation), the devtools timeline (requests, script evaluation, the wasm code
// cache: v8.wasm.moduleCacheHit, v8.wasm.cachedModule) and the page's user-timing marks.
const READY_TRACE_CATEGORIES = ['v8.wasm', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing'];

// splitReady traces loads of url (first loads, each in a context of its own, then repeat
// loads in one context) and splits each load's time, from the page's mark polysse-t0 to
// its mark polysse-ready, at what the renderer did: polysse.js received, the polysse.wasm
// request sent, its response started, its streaming compilation finished, the module
// instantiated; and the time V8 spent compiling functions lazily (on their first call,
// on the main thread) while Go's main ran. Tracing slows the page a little: the ready
// times above are from loads without it.
async function splitReady(browser, url, loads = READY_LOADS) {
  await browser.startTracing(undefined, { categories: READY_TRACE_CATEGORIES });
  let trace;
  const kinds = [];
  try {
    for (let i = 0; i < loads; i++) {
      const c = await browser.newContext();
      try {
        await loadReady(c, url);
      } finally {
        await c.close();
      }
      kinds.push('first');
    }
    const c = await browser.newContext();
    try {
      for (let i = 0; i <= loads; i++) {
        await loadReady(c, url);
        kinds.push(i ? 'repeat' : 'first, not counted');
      }
    } finally {
      await c.close();
    }
  } finally {
    trace = JSON.parse((await browser.stopTracing()).toString()).traceEvents;
  }
  const events = trace.sort((a, b) => a.ts - b.ts);
  const t0s = events.filter((e) => e.name === 'polysse-t0' && e.ph !== 'e');
  const urlOf = new Map();
  for (const e of events) if (e.name === 'ResourceSendRequest') urlOf.set(e.args.data.requestId, e.args.data.url);
  const loadsOut = [];
  for (const [i, t0] of t0s.entries()) {
    const end = events.find((e) => e.pid === t0.pid && e.name === 'polysse-ready' && e.ts > t0.ts);
    if (!end) continue;
    const ev = events.filter((e) => e.pid === t0.pid && e.ts >= t0.ts && e.ts <= end.ts);
    const at = (e) => (e ? (e.ts - t0.ts) / 1000 : NaN);
    const endOf = (e) => (e ? (e.ts + (e.dur || 0) - t0.ts) / 1000 : NaN);
    const req = (re, name) => ev.find((e) => e.name === name && re.test(urlOf.get(e.args?.data?.requestId) || ''));
    const compiled = ev.filter((e) => e.name === 'wasm.FinishStreaming').pop();
    const inst = ev.find((e) => e.name === 'wasm.AsyncInstantiate' || e.name === 'wasm.SyncInstantiate');
    const lazy = ev.filter((e) => e.name === 'wasm.CompileLazy');
    const marks = [
      ['polysse.js received', endOf(req(/\/polysse\.js$/, 'ResourceFinish'))],
      ['evaluated up to the polysse.wasm request', at(req(/\/polysse\.wasm$/, 'ResourceSendRequest'))],
      ['polysse.wasm response started', at(req(/\/polysse\.wasm$/, 'ResourceReceiveResponse'))],
      ['downloaded and compiled', endOf(compiled)],
      ['instantiated', endOf(inst)],
      ['Go main reached polysse.ready', at(end)],
    ];
    loadsOut.push({
      kind: kinds[i] ?? '?', marks,
      lazyN: lazy.length, lazyMs: lazy.reduce((a, e) => a + (e.dur || 0), 0) / 1000,
      cacheHit: ev.some((e) => e.name === 'v8.wasm.moduleCacheHit'),
    });
  }
  const cached = trace.filter((e) => e.name === 'v8.wasm.cachedModule').length;
  const lines = [];
  for (const kind of ['first', 'repeat']) {
    const ls = loadsOut.filter((l) => l.kind === kind);
    if (!ls.length) continue;
    const steps = ls[0].marks.map(([name], j) => {
      const d = ls.map((l) => l.marks[j][1] - (j ? l.marks[j - 1][1] : 0)).filter(Number.isFinite);
      return `${name} +${d.length ? median(d).toFixed(1) : '?'} ms`;
    });
    lines.push(`ready split, ${kind} loads (traced, median of ${ls.length}): ${steps.join(', ')}; ` +
      `total ${median(ls.map((l) => l.marks[l.marks.length - 1][1])).toFixed(1)} ms; ` +
      `lazy compilation of ${median(ls.map((l) => l.lazyN))} wasm functions on the main thread ${median(ls.map((l) => l.lazyMs)).toFixed(1)} ms (during Go main); ` +
      `wasm code cache hits ${ls.filter((l) => l.cacheHit).length}/${ls.length}`);
  }
  lines.push(`V8 wrote polysse.wasm's code to the code cache (v8.wasm.cachedModule) ${cached} times in these ${loadsOut.length} loads`);
  return lines.join('\n');
}

async function profileRun(page, cdp, client, w) {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  const r = await page.evaluate((a) => window.bench.run(a), { client, workload: key(w), timeoutMs: RUN_TIMEOUT_MS });
  const { profile } = await cdp.send('Profiler.stop');
  console.log(`\nprofile of ${client} on ${w.name} × ${w.n}: ${r.ms.toFixed(1)} ms`);
  printProfile(profile, w.n, Number(process.env.PROFILE_TOP || 25));
}

// printProfile prints a CDP CPU profile's self time by category and its top functions.
function printProfile(profile, events, ntop) {
  const dt = profile.timeDeltas;
  const self = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]);
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url ? f.url.replace(/^.*\//, '') : ''}${f.url ? ':' + (f.lineNumber + 1) : ''}`;
    self.set(key, (self.get(key) || 0) + (dt[i] || 0));
    total += dt[i] || 0;
  }
  // Self time by category: Go code in the wasm module, the syscall/js glue of wasm_exec.js,
  // JavaScript files (polysse.js, the listener in bench.js, the peers), browser builtins
  // called from JavaScript (MessageEvent, dispatchEvent, decode, ...), and V8's buckets.
  const cats = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const f = byId.get(profile.samples[i]).callFrame;
    let c;
    if (f.url.endsWith('.wasm') || /^wasm-function/.test(f.functionName)) c = 'Go (wasm code)';
    else if (f.url.endsWith('wasm_exec.js')) c = 'syscall/js glue (wasm_exec.js)';
    else if (f.url.endsWith('bench.js')) c = 'benchmark listener (bench.js)';
    else if (f.url) c = `JavaScript: ${f.url.replace(/^.*\/(node_modules\/)?/, '')}`;
    else if (/^\(/.test(f.functionName)) c = f.functionName;
    else c = `builtin: ${f.functionName || '(anonymous)'}`;
    cats.set(c, (cats.get(c) || 0) + (dt[i] || 0));
  }
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, ntop);
  console.log(`${(total / 1000).toFixed(1)} ms sampled; self time by category${events > 1 ? ' (and per event)' : ''}:`);
  for (const [k, us] of [...cats.entries()].sort((a, b) => b[1] - a[1])) {
    const per = events > 1 ? `${(1000 * us / events).toFixed(0).padStart(6)} ns/event  ` : '';
    console.log(`  ${(us / 1000).toFixed(1).padStart(8)} ms ${(100 * us / total).toFixed(1).padStart(5)}%  ${per}${k}`);
  }
  console.log('top functions by self time:');
  for (const [k, us] of top) console.log(`  ${(us / 1000).toFixed(1).padStart(8)} ms ${(100 * us / total).toFixed(1).padStart(5)}%  ${k}`);
  // Inclusive time (self and callees) of the functions whose names match PROFILE_INCL, a
  // regular expression (e.g. 'fill|flush|_batch|handleEvent|gcStart'): a function that
  // calls itself, or appears under itself, counts once.
  if (process.env.PROFILE_INCL) {
    const re = new RegExp(process.env.PROFILE_INCL);
    const selfUs = new Map();
    for (let i = 0; i < profile.samples.length; i++) selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) || 0) + (dt[i] || 0));
    const incl = new Map();
    const walk = (id, open) => {
      const n = byId.get(id);
      const name = n.callFrame.functionName;
      const counted = re.test(name) && !open.has(name);
      const next = counted ? new Set(open).add(name) : open;
      let t = selfUs.get(id) || 0;
      for (const c of n.children || []) t += walk(c, next);
      if (counted) incl.set(name, (incl.get(name) || 0) + t);
      return t;
    };
    walk(profile.nodes[0].id, new Set());
    console.log(`inclusive time of functions matching /${process.env.PROFILE_INCL}/${events > 1 ? ' (and per event)' : ''}:`);
    for (const [k, us] of [...incl.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
      const per = events > 1 ? `${(1000 * us / events).toFixed(0).padStart(7)} ns/event  ` : '';
      console.log(`  ${(us / 1000).toFixed(1).padStart(8)} ms  ${per}${k}`);
    }
  }
}

function fmtRate(x) {
  if (!Number.isFinite(x)) return '—';
  return Math.round(x).toLocaleString('en-US');
}

// rateOf returns client c's median capacity on workload w: events per second of the
// page's main-thread CPU time. wallRateOf returns its median events per second of wall
// time (for the paced workloads, the pace, when the client kept up).
function rateOf(results, w, c) {
  const rs = results.filter((r) => r.w === w.name && r.client === c && r.status === 'ok');
  return rs.length ? median(rs.map((r) => w.n / (r.cpuMs / 1000))) : NaN;
}

function wallRateOf(results, w, c) {
  const rs = results.filter((r) => r.w === w.name && r.client === c && r.status === 'ok');
  return rs.length ? median(rs.map((r) => w.n / (r.ms / 1000))) : NaN;
}

const geomean = (xs) => (xs.length && xs.every((x) => Number.isFinite(x) && x > 0)
  ? Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length) : NaN);
const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');

function table(results, rounds) {
  const lines = [];
  lines.push('| workload | written | client | events per CPU-second (median) | µs CPU per event | events/s (wall) | vs native | runs ok |');
  lines.push('|---|---|---|--:|--:|--:|--:|--:|');
  for (const w of WORKLOADS) {
    const native = rateOf(results, w, 'native');
    for (const c of CLIENTS) {
      const rate = rateOf(results, w, c);
      const ok = results.filter((r) => r.w === w.name && r.client === c && r.status === 'ok').length;
      const written = w.flush ? `${w.flush === 1 ? 'each event' : `${w.flush} events`} every ${w.interval} ms` : 'one write';
      lines.push(`| ${w.name.replace(' one write', '')} × ${w.n.toLocaleString('en-US')} | ${written} | ${c} | ${fmtRate(rate)} | ` +
        `${Number.isFinite(rate) ? (1e6 / rate).toFixed(1) : '—'} | ${fmtRate(wallRateOf(results, w, c))} | ${fmtRatio(rate / native)} | ${ok}/${rounds} |`);
    }
  }
  const main = WORKLOADS.filter((w) => !w.extra);
  lines.push('');
  lines.push(`| client | geometric mean vs native (${main.map((w) => w.name).join(', ')}) | over all ${WORKLOADS.length} workloads |`);
  lines.push('|---|--:|--:|');
  for (const c of CLIENTS) {
    const g = (ws) => geomean(ws.map((w) => rateOf(results, w, c) / rateOf(results, w, 'native')));
    lines.push(`| ${c} | ${fmtRatio(g(main))} | ${fmtRatio(g(WORKLOADS))} |`);
  }
  return lines.join('\n');
}

function verdicts(results, readyMs, readyRepeatMs) {
  const out = [];
  if (!CLIENTS.includes('native') || !CLIENTS.includes('polysse')) return out;
  const peers = CLIENTS.filter((c) => c !== 'native' && !c.startsWith('polysse'));
  for (const w of WORKLOADS) {
    const rate = (c) => rateOf(results, w, c);
    const p = rate('polysse');
    const nat = rate('native');
    const behind = peers.filter((c) => !(p > rate(c) || !Number.isFinite(rate(c))));
    out.push(`${w.name}${w.extra ? ' (extra)' : ''}: polysse ${p >= nat ? '≥' : '<'} native (${(p / nat).toFixed(2)}×); ` +
      (behind.length ? `behind ${behind.join(', ')}` : 'ahead of every JS polyfill') +
      (w.extra ? '' : p >= nat ? ' — target (≥ 1.0× native) met' : ' — TARGET (≥ 1.0× native) MISSED'));
  }
  const main = WORKLOADS.filter((w) => !w.extra);
  const g = (c) => geomean(main.map((w) => rateOf(results, w, c) / rateOf(results, w, 'native')));
  const ahead = peers.filter((c) => !(g('polysse') > g(c) || !Number.isFinite(g(c))));
  out.push(`geometric mean: polysse ${fmtRatio(g('polysse'))} native; ` +
    (ahead.length ? `behind ${ahead.join(', ')} — TARGET MISSED` : 'ahead of every JS polyfill — target met'));
  for (const [kind, ms] of [['first load', readyMs], ['repeat load', readyRepeatMs]]) {
    out.push(`ready, ${kind}: median ${ms.toFixed(1)} ms — ${ms <= 50 ? 'target (≤ 50 ms) met' : 'TARGET (≤ 50 ms) MISSED'}`);
  }
  return out;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  // --exp: [NAME=]URLDIR,... → client polysse-NAME (polysse-exp without a name).
  const exps = o.exp ? o.exp.split(',').map((e) => {
    const i = e.indexOf('=');
    return i < 0 ? { client: 'polysse-exp', dir: e } : { client: `polysse-${e.slice(0, i)}`, dir: e.slice(i + 1) };
  }) : [];
  CLIENTS = [...CLIENTS, ...exps.map((e) => e.client)];
  const known = [...CLIENTS, 'fetch-reader']; // a diagnostic, not an EventSource (bench.js)
  if (o.clients) {
    const want = o.clients.split(',');
    const bad = want.filter((c) => !known.includes(c));
    if (bad.length) throw new Error(`--clients: unknown ${bad.join(', ')} (have ${CLIENTS.join(', ')})`);
    CLIENTS = [...want, ...exps.map((e) => e.client).filter((c) => !want.includes(c))];
  }
  const load0 = loadavg();
  if (o.workloads) {
    const want = o.workloads.split(',');
    const bad = want.filter((k) => !ALL_WORKLOADS.some((w) => key(w) === k));
    if (bad.length) throw new Error(`--workloads: unknown ${bad.join(', ')} (have ${ALL_WORKLOADS.map(key).join(', ')})`);
    WORKLOADS = ALL_WORKLOADS.filter((w) => want.includes(key(w)));
  }
  for (const w of WORKLOADS) w.bytes = encode({ n: w.n, size: w.size, kind: w.kind, flush: w.flush }).bytes.length;
  const server = await startServer(o.root);
  const browser = await chromium.launch({ executablePath: o.chromium, headless: true, args: CHROMIUM_ARGS });
  try {
    const version = browser.version();
    const context = await browser.newContext();

    // Ready time first: first loads and repeat loads (measureReady), the current build and
    // each --exp build interleaved, then the split of the current build's loads (a trace).
    // The Go wasm floor (ready-floor.html), when scripts/bench-browser.sh built it, is
    // measured with them: what any Go wasm costs before it does anything.
    const readyUrls = [readyPage(server.url), ...exps.map((e) => readyPage(server.url, new URL('polysse.js', new URL(e.dir, server.url)).pathname))];
    const hasFloor = existsSync(join(o.root, 'bench', 'floor', 'floor.wasm'));
    if (hasFloor) readyUrls.push(`${server.url}/bench/ready-floor.html`);
    const readyRuns = await measureReady(browser, readyUrls, o['ready-loads']);
    const split = await splitReady(browser, readyUrls[0], o['ready-loads']);
    const ready = readyRuns[0];
    const readyMed = median(ready.first);
    const readyRepeatMed = median(ready.repeat);
    let readyLine = `polysse ready (script load start → polysse.ready resolved), ${ready.first.length} loads each: ` +
      `first load (new browser context: empty caches) ${fmtMs(ready.first)}; ` +
      `repeat load (HTTP cache, revalidated with 304) ${fmtMs(ready.repeat)}; ` +
      `polysse.wasm fetched by ${median(ready.wasmFetchEnd).toFixed(1)} ms (median, first loads)`;
    for (const [i, e] of exps.entries()) {
      readyLine += `\n${e.client} ready: first load ${fmtMs(readyRuns[i + 1].first)}; repeat load ${fmtMs(readyRuns[i + 1].repeat)}`;
    }
    if (hasFloor) {
      const f = readyRuns[readyRuns.length - 1];
      readyLine += `\nGo wasm floor (a main that links only syscall/js and signals at once; same loading steps), ready: first load ${fmtMs(f.first)}; repeat load ${fmtMs(f.repeat)}`;
    }
    if (o.profile === 'ready') {
      console.log(`${readyLine}\n${split}`);
      // A CPU profile of one more first load of ready.html.
      const pc = await browser.newContext();
      const p = await pc.newPage();
      await p.goto(`${server.url}/bench/page.html`); // the same site, so that the profiled page keeps this renderer
      const c = await pc.newCDPSession(p);
      await c.send('Profiler.enable');
      await c.send('Profiler.setSamplingInterval', { interval: 100 });
      await c.send('Profiler.start');
      await p.goto(readyUrls[0]);
      const r = await p.evaluate(() => window.readyResult);
      const { profile } = await c.send('Profiler.stop');
      console.log(`profiled first load: ready in ${r.ms.toFixed(1)} ms`);
      printProfile(profile, 1, 30);
      await pc.close();
      return;
    }

    const page = await context.newPage();
    if (o.profile.startsWith('crossings:')) {
      // Serve wasm_exec.js with every import of the Go module (the syscall/js and runtime
      // functions Go calls in JavaScript) and every entry into Go (_resume) counted.
      await page.route('**/wasm_exec.js', async (route) => {
        const body = await (await route.fetch()).text();
        const patched = body
          .replace(/(\n\t\t\t\};\n)(\t\t\}\n\n\t\tasync run\(instance\) \{)/, `$1
			for (const k of Object.keys(this.importObject.gojs)) { const f = this.importObject.gojs[k]; this.importObject.gojs[k] = (sp) => { __self._count(k); return f(sp); }; }
$2`)
          .replace(/(\n\t\tasync run\(instance\) \{)/, `
		_count(k) { const c = globalThis.__goCrossings ??= {}; c[k] = (c[k] || 0) + 1; }
$1`)
          .replace(/(\n\t\t_resume\(\) \{)/, '$1\n\t\t\tthis._count("(entry into Go: _resume)");')
          .replace(/(\t\t\tthis\.importObject = \{)/, '\t\t\tconst __self = this;\n$1');
        if (!patched.includes('__self._count(k)')) throw new Error('wasm_exec.js: cannot patch it for --profile crossings');
        await route.fulfill({ response: await route.fetch(), body: patched });
      });
    }
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') console.error(`page console: ${m.text()}`); });
    const pageQuery = new URLSearchParams();
    if (exps.length) pageQuery.set('exp', exps.map((e) => `${e.client}=${new URL('polysse.mjs', new URL(e.dir, server.url)).pathname}`).join(','));
    await page.goto(`${server.url}/bench/page.html?${pageQuery}`);
    await page.waitForFunction(() => window.benchReady === true);
    const inPage = await page.evaluate(() => window.bench.loadPolysse());
    const cdp = await context.newCDPSession(page);
    const gc = () => cdp.send('HeapProfiler.collectGarbage');

    // CPU time of the page's main thread (CDP Performance metrics in thread ticks: time the
    // thread ran, not time it waited for a CPU on a busy machine), around each run.
    await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
    const mainThreadSeconds = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value;
    const runOnce = async (client, w) => {
      const c0 = await mainThreadSeconds();
      const r = await page.evaluate((a) => window.bench.run(a), { client, workload: key(w), timeoutMs: RUN_TIMEOUT_MS });
      r.cpuMs = (await mainThreadSeconds() - c0) * 1000;
      return r;
    };

    if (o.profile === 'dispatch') {
      const r = await page.evaluate(() => window.bench.dispatchCosts());
      console.log('\nper-event cost of the building blocks (ns per event, 64 B data, one listener):');
      for (const [k, v] of Object.entries(r.ns)) console.log(`  ${v.toFixed(0).padStart(6)} ns  ${k}`);
      return;
    }
    if (o.profile.startsWith('crossings:')) {
      // Calls between JavaScript and Go per chunk (per flush) of one run.
      const [, client, wname] = o.profile.split(':');
      const w = ALL_WORKLOADS.find((x) => key(x) === wname);
      if (!client?.startsWith('polysse') || !w || !w.flush) throw new Error('--profile crossings:polysse:WORKLOAD, a workload written in flushes');
      await runOnce(client, w); // warm up
      await page.evaluate(() => { globalThis.__goCrossings = {}; });
      const r = await runOnce(client, w);
      const counts = await page.evaluate(() => globalThis.__goCrossings);
      const chunks = Math.ceil(w.n / w.flush);
      console.log(`\ncalls between JavaScript and Go per chunk, ${client} on ${w.name} (${chunks} chunks of ${w.flush} events; ${r.status}, ${(r.cpuMs * 1000 / chunks).toFixed(0)} µs CPU per chunk):`);
      for (const [k, v] of Object.entries(counts).sort((a, b) => b[1] - a[1])) {
        if (v / chunks >= 0.05) console.log(`  ${(v / chunks).toFixed(2).padStart(7)}  ${k}`);
      }
      return;
    }
    if (o.profile) {
      const [client, wname] = o.profile.split(':');
      const w = ALL_WORKLOADS.find((x) => key(x) === wname);
      if (!known.includes(client) || !w) throw new Error(`--profile CLIENT:WORKLOAD, e.g. polysse:64B (clients: ${known.join(', ')}; workloads: ${ALL_WORKLOADS.map(key).join(', ')})`);
      await runOnce(client, w); // warm up
      await gc();
      await profileRun(page, cdp, client, w);
      return;
    }

    // Warm-up: one round that is not counted (JIT tiers, wasm tier-up, heap sizes).
    for (const w of WORKLOADS) {
      for (const c of CLIENTS) {
        const r = await runOnce(c, w);
        if (r.status !== 'ok') console.error(`warm-up ${c} ${w.name}: ${JSON.stringify(r)}`);
      }
    }

    const results = [];
    const total = o.rounds * WORKLOADS.length * CLIENTS.length;
    let k = 0;
    for (let round = 0; round < o.rounds; round++) {
      for (const [wi, w] of WORKLOADS.entries()) {
        for (const c of rotate(CLIENTS, round + wi)) {
          await gc();
          await new Promise((r) => setTimeout(r, 50));
          const r = await runOnce(c, w);
          k++;
          const rate = w.n / (r.ms / 1000);
          process.stderr.write(`[${k}/${total}] round ${round + 1} ${key(w).padEnd(9)} ${c.padEnd(22)} ${r.status.padEnd(8)} ${r.ms.toFixed(1).padStart(8)} ms ${fmtRate(rate).padStart(9)} ev/s, CPU ${r.cpuMs.toFixed(1).padStart(7)} ms ${fmtRate(w.n / (r.cpuMs / 1000)).padStart(10)} ev/CPU-s${r.errors ? ` (${r.errors} error events)` : ''}` +
            `${r.chunks ? ` ${r.chunks} chunks, median ${r.chunkMedian} B, max ${r.chunkMax} B` : ''}\n`);
          results.push({ round, w: w.name, client: c, ...r });
        }
      }
    }

    const tbl = table(results, o.rounds);
    readyLine += `; in the benchmark page (dynamic script, warm cache): ${inPage.ms.toFixed(1)} ms\n\n${split}`;
    const v = verdicts(results, readyMed, readyRepeatMed);
    // Other work on the machine skews the numbers; the load average says how much there was.
    const head = `Chromium ${version} (headless, /usr/bin/chromium), polysse ${inPage.version}, ${o.rounds} rounds interleaved, medians; ` +
      `load average ${load0.map((x) => x.toFixed(1)).join(' ')} before, ${loadavg().map((x) => x.toFixed(1)).join(' ')} after`;
    console.log(`\n${head}\n\n${tbl}\n\n${readyLine}\n\n${v.join('\n')}`);
    if (o.markdown) {
      writeFileSync(o.markdown, `${head}\n\n${tbl}\n\n${readyLine}\n\n${v.map((x) => `- ${x}`).join('\n')}\n`);
    }
  } finally {
    await browser.close();
    server.stop();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
