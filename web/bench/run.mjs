// make bench-browser: drives one headless Chromium session (Debian's /usr/bin/chromium through
// playwright-core, never a downloaded browser) against internal/cmd/benchserver and prints
// events/s per client and workload, the ratio to native, and polysse's ready time.
//
//   node run.mjs --server BIN [--root DIR] [--rounds 5] [--markdown FILE]
//                [--profile CLIENT:WORKLOAD|dispatch|ready] [--exp URLDIR] [--clients A,B,...]
//
// BIN is a built internal/cmd/benchserver; DIR (default: the web/ directory) is what it
// serves: /bench/* is this directory, /dist/* the output of make wasm. --exp /exp/ adds a
// client polysse-exp, a second build of polysse (URLDIR/polysse.mjs, and URLDIR/polysse.js
// for its ready time) served from DIR, to measure a change against the current build in
// the same session.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));

const WORKLOADS = [
  { name: '64 B', n: 100_000, size: 64 },
  { name: '1 KiB', n: 20_000, size: 1024 },
  { name: '64 KiB', n: 200, size: 64 * 1024 },
];
let CLIENTS = ['native', 'polysse', 'eventsource', 'fetch-event-source', 'event-source-polyfill'];
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const RUN_TIMEOUT_MS = 60_000;
const READY_LOADS = 7;

function parseArgs(argv) {
  const o = { root: resolve(here, '..'), rounds: 5, markdown: '', profile: '', chromium: '/usr/bin/chromium', server: '', exp: '', clients: '' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '');
    if (!(k in o)) throw new Error(`unknown option ${argv[i]}`);
    o[k] = argv[++i];
  }
  if (!o.server) throw new Error('--server BIN (a built internal/cmd/benchserver) is required');
  o.rounds = Number(o.rounds);
  if (!(o.rounds >= 1)) throw new Error('--rounds must be at least 1');
  return o;
}

async function startServer(bin, root) {
  // -stdin: the server exits when this process goes away and its stdin closes.
  const child = spawn(bin, ['-addr', '127.0.0.1:0', '-root', root, '-stdin', '-lifetime', '45m'],
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
  throw new Error('benchserver did not start');
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

async function measureReady(context, base, src = '') {
  const results = [];
  for (let i = 0; i < READY_LOADS; i++) {
    const page = await context.newPage();
    await page.goto(src ? `${base}/bench/ready-exp.html?src=${encodeURIComponent(src)}` : `${base}/bench/ready.html`);
    const r = await page.evaluate(async () => {
      const res = await window.readyResult;
      const wasm = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/polysse.wasm'));
      return { ...res, wasmFetchEnd: wasm ? wasm.responseEnd - window.readyT0 : NaN };
    });
    await page.close();
    if (r.error) throw new Error(`polysse.ready rejected: ${r.error}`);
    results.push(r);
  }
  return results;
}

// measureReadySplit loads ready-split.html, which repeats the loader's steps and times each.
async function measureReadySplit(context, base) {
  const runs = [];
  for (let i = 0; i < READY_LOADS; i++) {
    const page = await context.newPage();
    await page.goto(`${base}/bench/ready-split.html`);
    runs.push(await page.evaluate(() => window.splitResult));
    await page.close();
  }
  const names = runs[0].steps.map(([n]) => n).slice(1);
  const parts = names.map((n, i) => `${n} +${median(runs.map((r) => r.steps[i + 1][1])).toFixed(1)} ms`);
  return `ready split (median of ${runs.length} loads, first one cold): ${parts.join(', ')}; ` +
    `total ${median(runs.map((r) => r.total)).toFixed(1)} ms (first load ${runs[0].total.toFixed(1)} ms); ` +
    `the wasm download alone ${median(runs.map((r) => r.wasmFetch)).toFixed(1)} ms`;
}

async function profileRun(page, cdp, client, w) {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  const r = await page.evaluate((a) => window.bench.run(a), { client, n: w.n, size: w.size, timeoutMs: RUN_TIMEOUT_MS });
  const { profile } = await cdp.send('Profiler.stop');
  console.log(`\nprofile of ${client} on ${w.name} × ${w.n}: ${r.ms.toFixed(1)} ms`);
  printProfile(profile, w.n, 25);
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
}

function fmtRate(x) {
  if (!Number.isFinite(x)) return '—';
  return Math.round(x).toLocaleString('en-US');
}

function table(results, rounds) {
  const lines = [];
  lines.push('| workload | client | events/s (median) | MB/s | vs native | runs ok |');
  lines.push('|---|---|--:|--:|--:|--:|');
  for (const w of WORKLOADS) {
    const rates = {};
    for (const c of CLIENTS) {
      const rs = results.filter((r) => r.w === w.name && r.client === c && r.status === 'ok');
      rates[c] = rs.length ? median(rs.map((r) => w.n / (r.ms / 1000))) : NaN;
    }
    for (const c of CLIENTS) {
      const ok = results.filter((r) => r.w === w.name && r.client === c && r.status === 'ok').length;
      const ratio = rates[c] / rates.native;
      lines.push(`| ${w.name} × ${w.n.toLocaleString('en-US')} | ${c} | ${fmtRate(rates[c])} | ${Number.isFinite(rates[c]) ? (rates[c] * w.size / 1e6).toFixed(1) : '—'} | ${Number.isFinite(ratio) ? ratio.toFixed(2) + '×' : '—'} | ${ok}/${rounds} |`);
    }
  }
  return lines.join('\n');
}

function verdicts(results, readyMs) {
  const out = [];
  for (const w of CLIENTS.includes('native') && CLIENTS.includes('polysse') ? WORKLOADS : []) {
    const rate = (c) => {
      const rs = results.filter((r) => r.w === w.name && r.client === c && r.status === 'ok');
      return rs.length ? median(rs.map((r) => w.n / (r.ms / 1000))) : NaN;
    };
    const p = rate('polysse');
    const nat = rate('native');
    const peers = CLIENTS.filter((c) => c !== 'native' && !c.startsWith('polysse'));
    const behind = peers.filter((c) => !(p > rate(c) || !Number.isFinite(rate(c))));
    out.push(`${w.name}: polysse ${p >= nat ? '≥' : '<'} native (${(p / nat).toFixed(2)}×); ` +
      (behind.length ? `behind ${behind.join(', ')}` : 'ahead of every JS polyfill') +
      (p >= nat && !behind.length ? ' — target met' : ' — TARGET MISSED'));
  }
  out.push(`ready: median ${readyMs.toFixed(1)} ms — ${readyMs <= 50 ? 'target (≤ 50 ms) met' : 'TARGET (≤ 50 ms) MISSED'}`);
  return out;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.exp) CLIENTS = [...CLIENTS, 'polysse-exp'];
  if (o.clients) {
    const want = o.clients.split(',');
    const bad = want.filter((c) => !CLIENTS.includes(c));
    if (bad.length) throw new Error(`--clients: unknown ${bad.join(', ')} (have ${CLIENTS.join(', ')})`);
    CLIENTS = want;
  }
  const load0 = loadavg();
  const server = await startServer(o.server, o.root);
  const browser = await chromium.launch({ executablePath: o.chromium, headless: true, args: CHROMIUM_ARGS });
  try {
    const version = browser.version();
    const context = await browser.newContext();

    // Ready time first, in fresh pages: the first load compiles polysse.wasm from scratch.
    const ready = await measureReady(context, server.url);
    const split = await measureReadySplit(await browser.newContext(), server.url);
    const readyMs = ready.map((r) => r.ms);
    const readyMed = median(readyMs.slice(1));
    let readyLine = `polysse ready (script load start → polysse.ready resolved): first load ${readyMs[0].toFixed(1)} ms, ` +
      `then median ${readyMed.toFixed(1)} ms (min ${Math.min(...readyMs.slice(1)).toFixed(1)}, max ${Math.max(...readyMs.slice(1)).toFixed(1)}) over ${readyMs.length - 1} more page loads; ` +
      `polysse.wasm fetched by ${median(ready.map((r) => r.wasmFetchEnd)).toFixed(1)} ms (median)`;
    if (o.exp) {
      const er = (await measureReady(await browser.newContext(), server.url, new URL('polysse.js', new URL(o.exp, server.url)).pathname)).map((r) => r.ms);
      readyLine += `\npolysse-exp ready: first load ${er[0].toFixed(1)} ms, then median ${median(er.slice(1)).toFixed(1)} ms ` +
        `(min ${Math.min(...er.slice(1)).toFixed(1)}, max ${Math.max(...er.slice(1)).toFixed(1)})`;
    }
    if (o.profile === 'ready') {
      console.log(`${readyLine}\n${split}`);
      // A CPU profile of one more (warm) load of ready-split.html.
      const p = await context.newPage();
      const c = await context.newCDPSession(p);
      await c.send('Profiler.enable');
      await c.send('Profiler.setSamplingInterval', { interval: 100 });
      await c.send('Profiler.start');
      await p.goto(`${server.url}/bench/ready-split.html`);
      const r = await p.evaluate(() => window.splitResult);
      const { profile } = await c.send('Profiler.stop');
      console.log(`profiled load: ${r.steps.map(([n, v]) => `${n} +${v.toFixed(1)}`).join(', ')}`);
      printProfile(profile, 1, 30);
      return;
    }

    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') console.error(`page console: ${m.text()}`); });
    await page.goto(`${server.url}/bench/page.html${o.exp ? `?exp=${encodeURIComponent(new URL('polysse.mjs', new URL(o.exp, server.url)).pathname)}` : ''}`);
    await page.waitForFunction(() => window.benchReady === true);
    const inPage = await page.evaluate(() => window.bench.loadPolysse());
    const cdp = await context.newCDPSession(page);
    const gc = () => cdp.send('HeapProfiler.collectGarbage');

    const runOnce = (client, w) => page.evaluate((a) => window.bench.run(a),
      { client, n: w.n, size: w.size, timeoutMs: RUN_TIMEOUT_MS });

    if (o.profile === 'dispatch') {
      const r = await page.evaluate(() => window.bench.dispatchCosts());
      console.log('\nper-event cost of the building blocks (ns per event, 64 B data, one listener):');
      for (const [k, v] of Object.entries(r.ns)) console.log(`  ${v.toFixed(0).padStart(6)} ns  ${k}`);
      return;
    }
    if (o.profile) {
      const [client, wname] = o.profile.split(':');
      const w = WORKLOADS.find((x) => x.name.replace(/\s/g, '') === (wname || '').replace(/\s/g, ''));
      if (!CLIENTS.includes(client) || !w) throw new Error(`--profile CLIENT:WORKLOAD, e.g. polysse:64B (workloads: ${WORKLOADS.map((x) => x.name.replace(/\s/g, '')).join(', ')})`);
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
          process.stderr.write(`[${k}/${total}] round ${round + 1} ${w.name.padEnd(6)} ${c.padEnd(22)} ${r.status.padEnd(8)} ${r.ms.toFixed(1).padStart(9)} ms ${fmtRate(rate).padStart(11)} ev/s${r.errors ? ` (${r.errors} error events)` : ''}\n`);
          results.push({ round, w: w.name, client: c, ...r });
        }
      }
    }

    const tbl = table(results, o.rounds);
    readyLine += `; in the benchmark page (dynamic script, warm cache): ${inPage.ms.toFixed(1)} ms\n\n${split}`;
    const v = verdicts(results, readyMed);
    // Other work on the machine skews the numbers; the load average says how much there was.
    const head = `Chromium ${version} (headless, /usr/bin/chromium), polysse ${inPage.version}, ${o.rounds} rounds interleaved, median events/s; ` +
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
