// The scenario server (internal/cmd/scenarioserver) for the Node side of the tests.
//
// scripts/test-browser.sh starts one for all test files and passes its URLs in
// SCENARIO_URL and SCENARIO_ALT_URL; without them (a direct `node --test`), the first call
// starts one with `go run` (or the binary in SCENARIO_SERVER) and stops it when the process
// exits.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const root = fileURLToPath(new URL('../../../', import.meta.url));

let started;

export function scenarioServer() {
  if (process.env.SCENARIO_URL) {
    return Promise.resolve({
      url: process.env.SCENARIO_URL,
      altURL: process.env.SCENARIO_ALT_URL || process.env.SCENARIO_URL.replace('127.0.0.1', 'localhost'),
    });
  }
  started ??= start();
  return started;
}

function start() {
  const args = ['-dist', 'web/dist', '-test', 'web/test'];
  const bin = process.env.SCENARIO_SERVER;
  const child = bin
    ? spawn(bin, args, { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] })
    : spawn('go', ['run', './internal/cmd/scenarioserver', ...args], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const stop = () => {
    child.stdin.end(); // the server exits when its standard input closes
  };
  process.once('exit', () => { stop(); child.kill('SIGTERM'); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGTERM'); reject(new Error('scenario server: no URL within 120 s')); }, 120_000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`scenario server exited (${code})`)); });
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      const info = JSON.parse(line);
      resolve({ url: info.url, altURL: info.altURL, stop });
    });
    child.unref();
    child.stdout.unref?.();
  });
}

// getLog returns the request log of run sid (see package internal/scenario).
export async function getLog(base, sid, { settled = true, min = 0, wait = 5000 } = {}) {
  const r = await fetch(`${base}log?sid=${encodeURIComponent(sid)}&min=${min}&wait=${wait}${settled ? '&settled=1' : ''}`);
  if (!r.ok) throw new Error(`log ${sid}: ${r.status}`);
  return r.json();
}
