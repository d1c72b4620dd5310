// Loads the running demo in headless Chromium (playwright-core driving Debian's chromium)
// and checks what a visitor sees: polysse loads from /polysse/ with polysse.wasm
// compressed, its panels receive events with polysse's EventSource (and with the
// browser's), the POST stream answers, /compare runs a scenario, the favicon exists, and
// no page error occurs. It saves screenshots of each page in SHOTS_DIR.
//
//   node check.mjs BASE_URL SHOTS_DIR
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [base, shots] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
mkdirSync(shots, { recursive: true });

const failures = [];
const fail = (msg) => { failures.push(msg); console.error(`FAIL: ${msg}`); };
const step = async (name, fn) => {
  try {
    const warning = await fn();
    console.log(warning ? `warning: ${name}: ${warning}` : `ok: ${name}`);
  } catch (e) {
    fail(`${name}: ${e.message.split('\n')[0]}`);
  }
};

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 60_000 });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const panel = (title) => page.locator('section', { has: page.locator('h2', { hasText: title }) });

  await step('the landing page says what polysse is and loads it compressed', async () => {
    await page.goto(base);
    const lead = await page.textContent('.lead');
    if (!lead.includes('polysse is one Go codebase')) throw new Error(`lead: ${lead}`);
    await page.waitForSelector('#status.ok', { timeout: 30_000 });
    const status = await page.textContent('#status');
    if (!status.includes('came compressed')) throw new Error(`status: ${status}`);
    await page.screenshot({ path: `${shots}/index.png` });
  });

  await step('Completion with polysse closes on the complete event', async () => {
    const p = panel('Completion');
    await p.getByRole('button', { name: 'Start' }).click();
    await p.locator('.closed', { hasText: 'reason complete' }).waitFor({ timeout: 15_000 });
  });

  await step('Heartbeats with polysse shows SSE-Heartbeat-Interval and a ping', async () => {
    const p = panel('Heartbeats');
    await p.getByRole('button', { name: 'Start' }).click();
    await p.locator('li', { hasText: 'SSE-Heartbeat-Interval: 2000' }).waitFor({ timeout: 10_000 });
    await p.locator('li', { hasText: 'ping: still here' }).first().waitFor({ timeout: 10_000 });
  });

  await step('Refusal with polysse reports status 401', async () => {
    const p = panel('Refusal');
    await p.getByRole('button', { name: 'Start' }).click();
    await p.locator('.closed', { hasText: 'status 401' }).waitFor({ timeout: 10_000 });
  });

  await step('the POST stream answers its body', async () => {
    const p = panel('POST stream');
    await p.locator('textarea').fill('hello from the check');
    await p.getByRole('button', { name: 'Ask' }).click();
    const closed = p.locator('.closed');
    await closed.filter({ hasText: 'reason' }).waitFor({ timeout: 15_000 });
    const text = await closed.textContent();
    if (!text.includes('reason complete')) throw new Error(`closed: ${text}`);
    const answer = await p.locator('.answer').textContent();
    if (!answer.endsWith('hello from the check')) throw new Error(`answer: ${answer}`);
  });
  await page.screenshot({ path: `${shots}/index-polysse.png`, fullPage: true });

  await step("Completion with the browser's EventSource ends after the 204", async () => {
    await page.check('input[name=client][value=native]');
    const p = panel('Completion');
    await p.getByRole('button', { name: 'Start' }).click();
    await p.locator('.closed', { hasText: 'CLOSED' }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${shots}/index-native.png`, fullPage: true });
  });

  await step('the favicon is served', async () => {
    for (const path of ['favicon.ico', 'favicon.svg']) {
      const r = await page.request.get(new URL(path, base).href);
      if (r.status() !== 200 || r.headers()['content-type'] !== 'image/svg+xml') throw new Error(`${path}: ${r.status()} ${r.headers()['content-type']}`);
    }
  });

  await step('/compare runs a scenario with every line in view', async () => {
    await page.goto(new URL('compare', base).href);
    await page.waitForFunction(() => globalThis.polysse && document.querySelectorAll('#buttons button').length > 0);
    await page.getByRole('button', { name: 'stream', exact: true }).click();
    const items = page.locator('#polysse li');
    await items.nth(14).waitFor({ timeout: 20_000 }); // past 10: numbers of two digits
    await page.screenshot({ path: `${shots}/compare.png`, fullPage: true });
    // The first line stays in view (nothing scrolled it away), and the list is not
    // scrolled sideways or clipped.
    const box = await page.locator('#polysse ol').evaluate((ol) => ({ top: ol.scrollTop, over: ol.scrollWidth - ol.clientWidth }));
    if (box.top !== 0 || box.over > 0) throw new Error(`the list scrolled: ${JSON.stringify(box)}`);
    const first = await items.first().boundingBox();
    if (!first || first.y < 0) throw new Error('the first line is out of view');
    // Line numbers are drawn inside each line's box, so a number of two digits cannot
    // stick out of the list and be clipped.
    const inside = await page.locator('#polysse ol').evaluate((ol) => {
      const li = ol.children[11];
      return li.getBoundingClientRect().left >= ol.getBoundingClientRect().left && getComputedStyle(ol).listStyleType === 'none';
    });
    if (!inside) throw new Error('line numbers are drawn outside the list');
  });

  if (errors.length) fail(`page errors: ${errors.join('; ')}`);
} finally {
  await browser.close();
}
console.log(`screenshots in ${shots}`);
process.exit(failures.length ? 1 : 0);
