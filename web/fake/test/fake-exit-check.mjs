// node fake-exit-check.mjs FLAVOUR before|after
// A Node process that used polysse/fake under fake timers must end by itself once the fake
// is closed and the fake timers uninstalled: no timer, stream or handler of the fake (or of
// polysse's EventSource) may hold it. It runs a stream with a long scripted wait and the
// server's heartbeats, a handler asleep, a held plain answer, a drop and a reconnect on the
// fake clock, uninstalls the fake timers, opens one more stream on the real clock (its
// heartbeats would hold the process), closes the sources and the fake with all of that still
// pending, prints "fake-exit-check ok" and returns; scripts/test.d runs it under a timeout
// far below the delays involved (10 minutes), so a leak fails it.
import { createFake, sse } from 'polysse/fake';
import { exitCheckArgs } from './lib/exit-flavours.js';

const { flavour, when, install, fail } = exitCheckArgs('fake-exit-check.mjs');

let clock;
if (when === 'before') clock = install();
const fake = await createFake({ logLevel: 'error' });
if (when === 'after') clock = install();
await fake.install();

fake.route('GET /long', sse.stream(sse.event({ data: 'a' }), sse.wait(600_000), sse.event({ data: 'b' })), { heartbeat: 30_000 });
fake.route('GET /asleep', async (ctx) => {
  const s = ctx.stream();
  await s.sleep(600_000);
  await s.send({ data: 'late' });
});
fake.route('GET /held', sse.respond(200, { headers: { 'Content-Type': 'text/plain' }, body: [sse.raw('x'), sse.hold()] }));
fake.route('GET /flaky', [
  sse.stream(sse.retry(300_000), sse.event({ id: '1', data: 'first' }), sse.drop()),
  sse.stream(sse.event({ data: 'second' }), sse.hold()),
], { heartbeat: 600_000 });

const long = new EventSource('/long');
const asleep = new EventSource('/asleep');
const held = await fake.fetch('/held');
const flaky = new EventSource('/flaky');
const got = [];
flaky.onmessage = (e) => got.push(e.data);
await fake.waitForRequests(undefined, 4, { timeout: 60_000 });
await clock.tickAsync(60_000); // heartbeats of /long
await fake.waitForRequests('GET /flaky', 2, { timeout: 600_000 }); // the reconnect after 300 s
for (let i = 0; i < 100 && !got.includes('second'); i++) await clock.tickAsync(0);
if (!got.includes('second')) fail(`the reconnect did not deliver: ${JSON.stringify(got)}`);
if (fake.connections().length !== 4) fail(`expected 4 open connections, got ${fake.connections().length}`);

// On the real clock from here: a stream whose heartbeats (30 s, re-armed for ever) would
// hold the process if close() did not end it.
clock.uninstall();
const tail = await fake.fetch('/long'); // read by nobody, never cancelled
if (tail.status !== 200) fail(`the stream on the real clock got ${tail.status}`);
// The sources go first (a source of a closed fake would reconnect); the fake then ends what
// is still open or asleep on its side, the bodies nobody reads included.
for (const es of [long, asleep, flaky]) es.close();
void held;
await fake.close();
console.log(`fake-exit-check ok: ${flavour}, installed ${when} the fake started`);
