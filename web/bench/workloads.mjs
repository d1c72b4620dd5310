// make bench-browser: the workloads, shared by the server (server.mjs, which encodes and
// writes them) and the page (bench.js, which checks what the clients received).
//
// A workload is n events written in flushes of `flush` events, one every `interval` ms, as
// servers write streams when events happen: each flush is a write of its own, and it
// reaches the client as a chunk of its own (the pace is one that every client keeps up
// with). The extras are the whole stream in one write (flush 0), as fast as the connection
// takes it. kind 'plain' events are unnamed ("message") with size ASCII bytes of data;
// kind 'mixed' events are named ("update"), with an id, three data lines of JSON, accented
// Latin, CJK and emoji text, CRLF line ends, and a comment line before every tenth event.
export const WORKLOADS = [
  { key: '64B', name: '64 B', n: 20_000, size: 64, flush: 100, interval: 10 },
  { key: '1KiB', name: '1 KiB', n: 8_000, size: 1024, flush: 16, interval: 4 },
  { key: '64KiB', name: '64 KiB', n: 200, size: 64 * 1024, flush: 1, interval: 10 },
  { key: 'mixed', name: 'mixed', n: 10_000, kind: 'mixed', flush: 50, interval: 10 },
  { key: '64B-1w', name: '64 B one write', n: 100_000, size: 64, flush: 0, extra: true },
  { key: '1KiB-1w', name: '1 KiB one write', n: 20_000, size: 1024, flush: 0, extra: true },
  { key: '64KiB-1w', name: '64 KiB one write', n: 200, size: 64 * 1024, flush: 0, extra: true },
  // For experiments only (run.mjs --workloads): one 64 B event per chunk, so that the cost
  // per chunk is the cost per event.
  { key: '64B-each', name: '64 B each', n: 2_000, size: 64, flush: 1, interval: 2, extra: true, diagnostic: true },
];

// key names a workload in URLs and on the command line.
export const key = (w) => w.key;

// query is the /stream query string of w.
export const query = (w) => `n=${w.n}&flush=${w.flush}&interval=${w.interval || 0}&${w.kind === 'mixed' ? 'kind=mixed' : `size=${w.size}`}`;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/';

// mixedData returns the data of event i of a mixed workload (its lines joined by LF).
function mixedData(i) {
  return [
    `{"seq":${i},"user":"José Müller","text":"héllo wörld – ${i % 997}"}`,
    'second line: naïve café ✓ 😀',
    'third line: 中文字符 and ascii',
  ].join('\n');
}

// expect returns what a client receives from workload w: the event type and the total
// length of the data strings (UTF-16 code units, what e.data.length adds up to).
export function expect(w) {
  if (w.kind !== 'mixed') return { type: 'message', chars: w.n * w.size };
  let chars = 0;
  for (let i = 0; i < w.n; i++) chars += mixedData(i).length;
  return { type: 'update', chars };
}

// encode returns the stream of the workload described by params (the /stream query: n,
// size, kind, flush) as one buffer and the end offsets of its flushes.
export function encode({ n, size, kind, flush }) {
  const enc = new TextEncoder();
  const parts = [];
  if (kind === 'mixed') {
    for (let i = 0; i < n; i++) {
      let ev = i % 10 === 0 ? `: keep-alive ${i}\r\n` : '';
      ev += `event: update\r\nid: ${i}\r\n`;
      for (const line of mixedData(i).split('\n')) ev += `data: ${line}\r\n`;
      parts.push(enc.encode(`${ev}\r\n`));
    }
  } else {
    let data = '';
    for (let i = 0; i < size; i++) data += ALPHABET[i % ALPHABET.length];
    const one = enc.encode(`data: ${data}\n\n`);
    for (let i = 0; i < n; i++) parts.push(one);
  }
  const total = parts.reduce((a, p) => a + p.length, 0);
  const bytes = new Uint8Array(total);
  const ends = [];
  let off = 0;
  parts.forEach((p, i) => {
    bytes.set(p, off);
    off += p.length;
    if (flush > 0 && ((i + 1) % flush === 0 || i === parts.length - 1)) ends.push(off);
  });
  if (flush <= 0) ends.push(off);
  return { bytes, ends };
}
