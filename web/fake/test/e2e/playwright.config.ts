// Playwright (@playwright/test) against the standalone fake: global-setup.ts starts
// `polysse-fake` on a free port and hands its URL to the tests (POLYSSE_FAKE_URL); each test
// connects with polysse/fake/remote and gets a scope of its own, so tests may run in
// parallel. The browser is Debian's chromium (CHROMIUM, default /usr/bin/chromium): nothing
// is downloaded. In a project of your own, a fixed port works as well:
//   webServer: { command: 'npx polysse-fake --port 4010 --routes ./sse-routes.json',
//                url: 'http://127.0.0.1:4010/__polysse/health' }
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  globalSetup: './global-setup.ts',
  timeout: 30_000,
  reporter: [['list']],
  outputDir: join(tmpdir(), 'polysse-fake-e2e-results'), // traces of failures, outside the repository
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
});
