// polysse loads on the real clock; each test then installs one flavour of fake timers (or
// installs or removes it while a source lives).
import { afterEach, beforeEach, describe } from 'vitest';
import { init } from 'polysse';
import { flavours } from './lib/flavours.js';
import { clockScenarios, switchScenarios } from './lib/scenarios.js';

const api = await init();

for (const [name, install] of Object.entries(flavours)) {
  describe(`${name}, installed after polysse loaded`, () => {
    let timers;
    beforeEach(() => { timers = install(); });
    afterEach(() => timers.uninstall());
    clockScenarios(() => api, () => timers);
  });
  describe(`${name}, installed or removed while a source lives`, () => {
    switchScenarios(() => api, install);
  });
}
