// node exit-check.mjs FLAVOUR before|after
// A Node process that uses polysse under fake timers must end by itself once its sources are
// closed and the fake timers uninstalled: no timer, stream or watch of polysse's may hold it.
// It runs a backoff and a heartbeat watchdog on the fake clock, closes one source mid-stream
// and one mid-backoff, uninstalls, prints "exit-check ok" and returns; scripts/test.d runs it
// under a timeout far below the delays involved (10 minutes), so a leak fails it.
import { init } from 'polysse';
import { exitCheckArgs } from './lib/exit-flavours.js';
import { record, scripted } from './lib/scripted.js';

const { flavour, when, install, fail } = exitCheckArgs('exit-check.mjs');
const settle = async (pred, what) => {
  for (let i = 0; i < 1000 && !pred(); i++) await clock.tickAsync(0);
  if (!pred()) fail(`not reached: ${what}`);
};

let clock;
if (when === 'before') clock = install();
const api = await init();
if (when === 'after') clock = install();

const url = 'http://fake.test/feed';
const srv = scripted((req) => {
  req.send(`retry: 300000\ndata: ${req.attempt}\n\n`);
  if (req.attempt === 1) req.end();
});
const a = new api.EventSource(url, { fetch: srv.fetch, heartbeatTimeout: 600_000 });
const log = record(a);
await settle(() => log.includes('error:0:300000'), 'the first backoff');
await clock.tickAsync(300_000);
await settle(() => log.includes('message:2'), 'the reconnect');
await clock.tickAsync(200_000); // the watchdog is armed, 400 s to go
a.close();

const b = new api.EventSource(url, { fetch: scripted((req) => { req.send('retry: 300000\n\n'); req.end(); }).fetch });
const logB = record(b);
await settle(() => logB.includes('error:0:300000'), 'the second source in backoff');
await clock.tickAsync(1000);
b.close();
await clock.tickAsync(0);
clock.uninstall();
console.log(`exit-check ok: ${flavour}, installed ${when} polysse loaded`);
