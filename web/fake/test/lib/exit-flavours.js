// The fake-timer configurations of the exit checks (exit-check.mjs, fake-exit-check.mjs), as
// @sinonjs/fake-timers' install() takes them, and the reading of their command line.
import FakeTimers from '@sinonjs/fake-timers';

const everything = Object.keys(FakeTimers.timers);

/** configs: flavour name → install() configuration (undefined: Sinon's own default, epoch 0). */
export const configs = {
  'sinon epoch 0': undefined,
  'vitest default': { now: Date.now(), toFake: everything.filter((k) => k !== 'nextTick' && k !== 'queueMicrotask') },
  'jest modern': { now: Date.now(), toFake: everything, shouldClearNativeTimers: true, loopLimit: 100_000 },
  'setTimeout only': { now: Date.now(), toFake: ['setTimeout'] },
};

/**
 * exitCheckArgs reads `node SCRIPT FLAVOUR before|after` and returns { flavour, when,
 * install(), fail(msg) }; a bad command line exits with status 2.
 */
export function exitCheckArgs(script) {
  const [flavour, when] = process.argv.slice(2);
  if (!(flavour in configs) || !['before', 'after'].includes(when)) {
    console.error(`usage: node ${script} '${Object.keys(configs).join("'|'")}' before|after`);
    process.exit(2);
  }
  return {
    flavour,
    when,
    install: () => FakeTimers.withGlobal(globalThis).install(configs[flavour]),
    fail(msg) {
      console.error(`${script.replace(/\.mjs$/, '')} ${flavour} ${when}: ${msg}`);
      process.exit(1);
    },
  };
}
