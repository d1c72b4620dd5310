// The 'jest modern' fake timers are installed before polysse loads and stay installed for every test.
// (A dynamic import() here would go through Vitest's module runner, which waits on timers
// that raw @sinonjs/fake-timers replace; the static import avoids that.)
import { afterAll, describe } from 'vitest';
import { init } from 'polysse'; // evaluates the loader only: the Go runtime starts in init()
import { flavours } from './lib/flavours.js';
import { clockScenarios } from './lib/scenarios.js';

const timers = flavours['jest modern']();
afterAll(() => timers.uninstall());
const api = await init();

describe('jest modern, installed before polysse loaded', () => {
  clockScenarios(() => api, () => timers);
});
