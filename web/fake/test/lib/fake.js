// Helpers of the polysse/fake suites: reading a response chunk by chunk, sources closed
// after each test, waiting without advancing any clock, and a trap for sockets.
import diagnostics from 'node:diagnostics_channel';
import net from 'node:net';
import tls from 'node:tls';
import { setImmediate as nextMacrotask, setTimeout as realSleep } from 'node:timers/promises';
import { afterEach } from 'vitest';

const decoder = new TextDecoder();

/** text decodes bytes as UTF-8 (chunk boundaries kept by the caller). */
export const text = (b) => decoder.decode(b);

/**
 * reader reads a response body chunk by chunk: next() resolves with the next chunk's bytes,
 * null at the end, or rejects with the stream's error.
 */
export function reader(response) {
  const r = response.body.getReader();
  return {
    async next() {
      const { done, value } = await r.read();
      return done ? null : value;
    },
    cancel: () => r.cancel(),
  };
}

/** readAll reads a body to its end: { chunks (strings), error }. */
export async function readAll(response) {
  const r = reader(response);
  const chunks = [];
  try {
    for (let c; (c = await r.next()) !== null;) chunks.push(text(c));
    return { chunks, error: null };
  } catch (error) {
    return { chunks, error };
  }
}

/**
 * settle waits for pred() without advancing any clock: it yields to the event loop
 * (node:timers, which fake timers do not replace) between checks, at most 1000 times, or
 * for at most realMs of real time when given (for waits on the real clock).
 */
export async function settle(what, pred, { realMs = 0 } = {}) {
  const now = () => Number(process.hrtime.bigint()) / 1e6; // real, whatever the test faked
  const deadline = realMs ? now() + realMs : 0;
  for (let i = 0; realMs ? now() < deadline : i < 1000; i++) {
    if (pred()) return;
    await (realMs ? realSleep(5) : nextMacrotask());
  }
  if (!pred()) throw new Error(`not reached: ${what}`);
}

const open = new Set();
afterEach(() => {
  for (const es of open) es.close();
  open.clear();
});

/** source opens a globalThis.EventSource (polysse's, after install) closed after the test. */
export function source(url, init) {
  const es = new EventSource(url, init);
  open.add(es);
  return es;
}

/** events records what a source fires, as short strings (see lib/scripted.js's record). */
export function events(es, ...types) {
  const log = [];
  es.addEventListener('open', () => log.push('open'));
  es.addEventListener('message', (e) => log.push(`message:${e.data}`));
  for (const t of types) es.addEventListener(t, (e) => log.push(`${t}:${e.data}`));
  es.addEventListener('error', () => log.push(`error:${es.readyState}`));
  es.addEventListener('close', (e) => log.push(`close:${e.reason}`));
  return log;
}

/**
 * trapSockets replaces the ways a Node process opens a connection (net.Socket's connect,
 * net.connect, tls.connect) with traps that record and refuse, and returns { calls,
 * restore() }.
 */
export function trapSockets() {
  const calls = [];
  const saved = { proto: net.Socket.prototype.connect, netConnect: net.connect, createConnection: net.createConnection, tlsConnect: tls.connect };
  const trap = (what) => function trapped(...args) {
    calls.push({ what, args: args.map((a) => (typeof a === 'object' ? JSON.stringify(a) : String(a))).join(' ') });
    throw new Error(`no network in this test: ${what} was called`);
  };
  // Any client socket of the process, whoever made it, is published on this channel.
  const onSocket = () => calls.push({ what: 'a client socket (diagnostics channel net.client.socket)', args: '' });
  diagnostics.subscribe('net.client.socket', onSocket);
  net.Socket.prototype.connect = trap('net.Socket.prototype.connect');
  net.connect = trap('net.connect');
  net.createConnection = trap('net.createConnection');
  tls.connect = trap('tls.connect');
  return {
    calls,
    restore() {
      diagnostics.unsubscribe('net.client.socket', onSocket);
      net.Socket.prototype.connect = saved.proto;
      net.connect = saved.netConnect;
      net.createConnection = saved.createConnection;
      tls.connect = saved.tlsConnect;
    },
  };
}

/** watchUncaught records unhandled rejections and uncaught exceptions until stop(). */
export function watchUncaught() {
  const seen = [];
  const onRejection = (e) => seen.push(`unhandledRejection: ${e && e.message}`);
  const onException = (e) => seen.push(`uncaughtException: ${e && e.message}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    seen,
    stop() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}
