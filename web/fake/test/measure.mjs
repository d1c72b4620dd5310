// node measure.mjs [runs]: the cost of polysse/fake in Node. Prints the size of
// polysse-fake.wasm (raw, gzip -9, brotli -q 11) and, over fresh processes (default 9), the
// medians of: createFake() until ready (its first call reads, compiles and instantiates the
// module and runs Go's main), the first stream served (lazy compilation), a later stream,
// and polysse's own init() for comparison. Runs interleave the two, one process each.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dist = join(dirname(createRequire(import.meta.url).resolve('polysse/package.json')), 'dist');
const runs = Number(process.argv[2] ?? 9);

if (process.argv[2] === '--child-fake') {
  const { createFake, sse } = await import('polysse/fake');
  const t0 = performance.now();
  const fake = await createFake();
  const t1 = performance.now();
  fake.route('GET /feed', sse.stream(sse.event({ data: 'x' }), sse.end()), { heartbeat: 0 });
  await (await fake.fetch('/feed')).text();
  const t2 = performance.now();
  await (await fake.fetch('/feed')).text();
  const t3 = performance.now();
  await fake.close();
  console.log(JSON.stringify({ ready: t1 - t0, firstStream: t2 - t1, laterStream: t3 - t2 }));
  process.exit(0);
}
if (process.argv[2] === '--child-polysse') {
  const { init } = await import('polysse');
  const t0 = performance.now();
  await init();
  console.log(JSON.stringify({ polysseReady: performance.now() - t0 }));
  process.exit(0);
}

const wasm = readFileSync(join(dist, 'polysse-fake.wasm'));
const gz = gzipSync(wasm, { level: 9 }).length;
const br = brotliCompressSync(wasm, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: wasm.length } }).length;
const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;
console.log(`polysse-fake.wasm: ${wasm.length} bytes (${mb(wasm.length)}), gzip -9 ${gz} (${mb(gz)}), brotli -q 11 ${br} (${mb(br)})`);

const samples = {};
const me = new URL(import.meta.url).pathname;
for (let i = 0; i < runs; i++) {
  for (const child of ['--child-fake', '--child-polysse']) {
    const out = JSON.parse(execFileSync(process.execPath, [me, child], { encoding: 'utf8' }));
    for (const [k, v] of Object.entries(out)) (samples[k] ??= []).push(v);
  }
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
for (const [k, xs] of Object.entries(samples)) {
  console.log(`${k.padEnd(13)} median ${median(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)}, ${xs.length} processes)`);
}
