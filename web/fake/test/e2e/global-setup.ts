// Starts what the tests run against, each on a free port of 127.0.0.1, and stops them when
// the run ends:
//   - the standalone fake: the polysse package's polysse-fake command (as `npx polysse-fake`
//     runs it) with the routes of ../fixtures/routes.json; its URL goes to the tests in
//     POLYSSE_FAKE_URL;
//   - the app under test: a static server for app/ (and the package's dist/, for the page
//     that runs polysse/fake itself), on another origin than the fake; its URL in APP_URL.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm',
};

export default async function globalSetup() {
  const here = dirname(fileURLToPath(import.meta.url));
  const require = createRequire(import.meta.url);
  const pkgJSON = require.resolve('polysse/package.json');
  const pkg = dirname(pkgJSON);

  const bin = join(pkg, require(pkgJSON).bin['polysse-fake']);
  const fake = spawn(process.execPath, [bin, '--port', '0', '--routes', join(here, '../fixtures/routes.json')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  fake.stdout.setEncoding('utf8');
  let out = '';
  for await (const chunk of fake.stdout) {
    out += chunk;
    if (out.includes('\n')) break;
  }
  process.env.POLYSSE_FAKE_URL = JSON.parse(out.split('\n')[0]).url;

  const app = createServer(async (req, res) => {
    const path = normalize(new URL(req.url ?? '/', 'http://app').pathname);
    const file = path.startsWith('/dist/') ? join(pkg, path) : join(here, 'app', path);
    const type = TYPES[path.slice(path.lastIndexOf('.'))];
    try {
      if (!type || path.includes('..')) throw new Error('not served');
      res.writeHead(200, { 'content-type': type }).end(await readFile(file));
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const addr = app.address();
  if (addr === null || typeof addr === 'string') throw new Error('the app server has no port');
  process.env.APP_URL = `http://127.0.0.1:${addr.port}`;

  return async () => {
    app.close();
    app.closeAllConnections();
    fake.stdin.end(); // the fake stops when its standard input ends
    await once(fake, 'exit');
  };
}
