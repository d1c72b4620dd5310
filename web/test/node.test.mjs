// polysse in Node through the npm entry: `import { init } from 'polysse'` resolves through
// node_modules/polysse (a file: dependency on web/, linked by npm ci) and the "exports" map
// of web/package.json, then init(), install(), and the extension scenarios of lib/ext.mjs
// with globalThis.EventSource. Run by scripts/test-browser.sh (node --test).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { scenarioServer } from './lib/server.mjs';
import { runScenario, scenarios } from './lib/ext.mjs';

let srv;
let api;
let hadGo;

before(async () => {
  srv = await scenarioServer();
  globalThis.Go = 'mine';
  hadGo = globalThis.Go;
  const polysse = await import('polysse');
  api = await polysse.init();
});

after(() => {
  api?.uninstall();
  srv?.stop?.();
});

describe('the npm entry in Node', () => {
  test('resolves through the exports map to dist/polysse.mjs', () => {
    const require = createRequire(import.meta.url);
    const pkg = require('polysse/package.json');
    assert.equal(pkg.name, 'polysse');
    assert.equal(import.meta.resolve('polysse').replace(/.*\/web\//, 'web/'), 'web/dist/polysse.mjs');
    assert.equal(import.meta.resolve('polysse/classic').replace(/.*\/web\//, 'web/'), 'web/dist/polysse.js');
    assert.throws(() => import.meta.resolve('polysse/dist/polysse.mjs'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
  });

  test('init() resolves with the API and keeps globalThis.Go', async () => {
    const { init, default: def } = await import('polysse');
    assert.equal(globalThis.Go, hadGo);
    assert.equal(typeof api.EventSource, 'function');
    assert.equal(typeof api.version, 'string');
    assert.equal(api.NativeEventSource, globalThis.EventSource, 'what was there before (undefined in Node 20)');
    assert.equal(await init(), api, 'init() loads once');
    assert.equal(def, init);
  });

  test('install() sets globalThis.EventSource, uninstall() restores it', () => {
    const before = globalThis.EventSource;
    assert.equal(api.install(), api.EventSource);
    assert.equal(globalThis.EventSource, api.EventSource);
    api.uninstall();
    assert.equal(globalThis.EventSource, before);
    api.install();
  });
});

describe('extensions: polysse in Node', () => {
  for (const [name, s] of Object.entries(scenarios)) {
    if (s.browserOnly) continue;
    test(name, { timeout: 20_000 }, async () => {
      api.install();
      const res = await runScenario(name, { EventSource: globalThis.EventSource, base: srv.url, tag: 'node', browser: false });
      assert.equal(res.error, undefined, res.error);
      s.check(res, assert);
    });
  }
});
