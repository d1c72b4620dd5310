// polysse/fake in a real browser page (the Node, jsdom and happy-dom suites run it in
// Vitest): the page loads the package's files (dist/, from the app server of
// global-setup.ts), creates a fake, installs it, and polysse's EventSource streams from it
// with no network request.
import { expect, test } from '@playwright/test';

test('polysse/fake runs in a browser page: routes, install, EventSource, journal, no network', async ({ page }) => {
  const requested: string[] = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  await page.goto(`${process.env.APP_URL}/blank.html`);
  const result = await page.evaluate(async () => {
    const url = '/dist/fake.mjs'; // the page's URL of the package's dist/fake.mjs
    const { createFake, sse } = (await import(url)) as typeof import('polysse/fake');
    const fake = await createFake();
    fake.route('GET /jobs/{id}/events', [
      sse.stream(sse.retry(50), sse.event({ type: 'progress', id: '1', data: { job: '{params.id}' } }), sse.drop()),
      sse.stream(sse.event({ data: 'after {lastEventId}' }), sse.complete({ ok: true })),
    ], { heartbeat: 0 });
    await fake.install();
    const log: string[] = [];
    const es = new EventSource('/jobs/7/events');
    es.addEventListener('progress', (e) => log.push(`progress ${(e as MessageEvent).data}`));
    es.onmessage = (e) => log.push(`message ${e.data}`);
    es.onerror = () => log.push(`error ${es.readyState}`);
    await new Promise<void>((resolve) => es.addEventListener('close', (e) => { log.push(`close ${(e as unknown as { reason: string }).reason}`); resolve(); }));
    const journal = fake.requests().map((e) => [e.attempt, e.status, e.lastEventId] as const);
    await fake.close();
    return { log, journal, installed: globalThis.EventSource.name };
  });
  expect(result.log).toEqual([
    'progress {"job":"7"}', 'error 0', 'message after 1', 'error 0', 'error 2', 'close complete',
  ]);
  expect(result.journal.map(([a, s]) => [a, s])).toEqual([[1, 200], [2, 200], [3, 204]]);
  expect(result.journal[1][2]).toBe('1');
  // The page fetched polysse's files and nothing else: the streams never left it.
  expect(requested.filter((p) => !p.startsWith('/dist/'))).toEqual(['/blank.html']);
});
