// The types of polysse/fake and polysse/fake/remote as TypeScript users see them
// (tsc --noEmit; lines marked @ts-expect-error must not type-check).
import { createFake, FakeError, sse, type Conn, type Fake, type JournalEntry } from 'polysse/fake';
import { connectFake, type RemoteFake } from 'polysse/fake/remote';

type JobEvents = { progress: { pct: number }; message: string };

export async function inProcess(): Promise<void> {
  const fake: Fake<JobEvents> = await createFake<JobEvents>({ onUnhandled: 'warn', logLevel: 'error' });
  fake.route('GET /jobs/{id}/events', sse.stream(sse.event({ type: 'progress', data: { pct: 1 } }), sse.complete({ ok: true })), { heartbeat: 0 });
  fake.use(sse.route('GET /feed', [sse.times(2, sse.respond(503, { headers: { 'Retry-After': '1' } })), sse.stream(sse.hold())]));
  fake.use('GET /h', async ({ params, attempt, lastEventId, stream, request }) => {
    const s: Conn<JobEvents> = stream();
    await s.send({ type: 'progress', data: { pct: attempt } });
    await s.send({ data: `${params.id} ${lastEventId ?? ''} ${request.method}` });
    // @ts-expect-error: progress data is { pct: number }
    await s.send({ type: 'progress', data: 'half' });
    // @ts-expect-error: no such event type in the map
    await s.send({ type: 'other', data: 1 });
    await s.sleep(10);
    await s.complete();
  });
  const conn = await fake.waitForConnection('GET /feed', { attempt: 1, timeout: 1000 });
  await conn.raw('data: h', new Uint8Array([0xc3]), 'llo\n\n');
  const n: number = await fake.broadcast('GET /feed', { type: 'progress', data: { pct: 3 } });
  const ids: string[] = await fake.publish('news', { data: 'x' });
  const entries: JournalEntry[] = await fake.waitForRequests('GET /feed', 2);
  const outcome: 'open' | 'ended' | 'dropped' | 'client-gone' | 'refused' | 'unhandled' = entries[0].outcome;
  const res: Response = await fake.fetch('/feed');
  const maybe: Response | undefined = await fake.handle(new Request('http://localhost/feed'));
  await fake.install();
  fake.uninstall();
  // @ts-expect-error: onUnhandled takes 'error' | 'warn' | 'bypass' or a function
  await createFake({ onUnhandled: 'ignore' });
  // @ts-expect-error: an answer is a stream, a respond or a drop
  fake.route('GET /x', { streams: [] });
  try {
    fake.reset();
  } catch (e) {
    if (e instanceof FakeError && e.code === 'TIMEOUT') console.log(e.last);
  }
  void [n, ids, outcome, res, maybe];
  await fake.close();
}

export async function standalone(): Promise<void> {
  const remote: RemoteFake<JobEvents> = await connectFake<JobEvents>('http://127.0.0.1:4010');
  await remote.use('GET /jobs/7/events', sse.stream(sse.event({ type: 'progress', data: { pct: 50 } }), sse.complete('{}')));
  const c = await remote.waitForConnection('GET /jobs/7/events');
  await c.send({ type: 'progress', data: { pct: 60 } });
  // @ts-expect-error: the remote fake runs scripted answers only, no handler functions
  await remote.use('GET /h', () => {});
  const outcome = await remote.waitForDisconnect(c);
  const s: string = remote.baseURL + outcome;
  void s;
  await remote.dispose();
}
