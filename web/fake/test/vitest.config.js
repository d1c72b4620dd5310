// The in-process suites run in three environments: Node, jsdom and happy-dom. The
// *.node.test.js files (the standalone command, a real browser page) run in Node only, the
// *.dom.test.js files in the DOM environments only.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // node_modules/polysse links to web/: keep the link's path, so that polysse is loaded as an
  // installed package is (by Node, outside Vite's module runner).
  resolve: { preserveSymlinks: true },
  test: {
    testTimeout: 10_000, // every scenario waits longer than this on the fake clock
    // Worker threads, not child processes: the Jest flavour fakes process.nextTick, which
    // Node's child_process IPC (Vitest's forks pool) needs to deliver messages.
    pool: 'threads',
    projects: [
      ...['node', 'jsdom', 'happy-dom'].map((environment) => ({
        extends: true,
        test: {
          name: environment,
          environment,
          include: ['*.test.js'],
          // *.dom.test.js need a window and a document.
          exclude: ['*.node.test.js', ...(environment === 'node' ? ['*.dom.test.js'] : [])],
        },
      })),
      { extends: true, test: { name: 'node only', environment: 'node', include: ['*.node.test.js'], testTimeout: 60_000 } },
    ],
  },
});
