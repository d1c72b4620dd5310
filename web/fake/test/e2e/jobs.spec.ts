// End-to-end: a page (the app under test, app/job.html, on its own origin) follows a job's
// progress with the browser's own EventSource, against the standalone fake on another origin. The fake's
// answers are set per test over its control API (polysse/fake/remote), in a scope of the
// test's own.
import { expect, test } from '@playwright/test';
import { connectFake, sse, type RemoteFake } from 'polysse/fake/remote';

let fake: RemoteFake<{ progress: { pct: number } }>;
test.beforeEach(async () => {
  fake = await connectFake(process.env.POLYSSE_FAKE_URL!);
});
// The app's page (app/job.html), following the stream at path in the test's scope.
const app = (path: string) => `${process.env.APP_URL}/job.html?events=${encodeURIComponent(fake.baseURL + path)}`;
test.afterEach(async () => {
  await fake.dispose();
});

test('progress then done: after complete the browser\'s reconnect gets 204', async ({ page }) => {
  await fake.use('GET /jobs/7/events', sse.stream(
    sse.retry(100),
    sse.event({ type: 'progress', id: '1', data: { pct: 50 } }),
    sse.event({ type: 'progress', id: '2', data: { pct: 100 } }),
    sse.complete({ ok: true }),
  ), { heartbeat: 0 });
  await page.goto(app('/jobs/7/events'));
  await expect(page.locator('#log li')).toHaveText(['progress 50%', 'progress 100%', 'complete']);
  await expect(page.locator('#state')).toHaveText('Done');
  const [first, second] = await fake.waitForRequests('GET /jobs/7/events', 2);
  expect([first.status, first.headers.Origin]).toEqual([200, process.env.APP_URL]); // cross-origin: CORS echo
  expect([second.status, second.outcome]).toEqual([204, 'refused']);
  expect(second.lastEventId).toMatch(/^[0-9a-f-]{36}$/); // the completion token
});

test('pushed from the test: send, then a drop; the browser reconnects with Last-Event-ID', async ({ page }) => {
  await fake.use('GET /feed', [sse.stream(sse.retry(100), sse.hold()), sse.stream(sse.event({ data: 'resumed after {lastEventId}' }), sse.hold())], { heartbeat: 0 });
  await page.goto(app('/feed'));
  await expect(page.locator('#state')).toHaveText('open');
  const conn = await fake.waitForConnection('GET /feed');
  await conn.send({ id: '41', data: 'pushed' });
  await conn.send({ type: 'progress', id: '42', data: { pct: 10 } });
  await expect(page.locator('#log li')).toHaveText(['message pushed', 'progress 10%']);
  await conn.drop();
  await expect(page.locator('#log li').last()).toHaveText('message resumed after 42');
  const [, again] = await fake.waitForRequests('GET /feed', 2);
  expect(again.lastEventId).toBe('42');
  expect(await fake.broadcast('GET /feed', { data: 'to all' })).toBe(1);
  await expect(page.locator('#log li').last()).toHaveText('message to all');
});

test('a 503 with Retry-After, then the stream: the browser gives up on the error status', async ({ page }) => {
  await fake.use('GET /busy', sse.respond(503, { headers: { 'Retry-After': '1' }, body: 'busy' }));
  await page.goto(app('/busy'));
  await expect(page.locator('#state')).toHaveText('Done'); // a spec EventSource fails for good on 503
  expect((await fake.requests('GET /busy')).map((e) => e.status)).toEqual([503]);
});
