// polysse/fake starts on the real clock; each test then installs one flavour of fake timers.
import { afterAll, afterEach, beforeAll, beforeEach, describe } from 'vitest';
import { createFake } from 'polysse/fake';
import { flavours } from './lib/flavours.js';
import { fakeClockScenarios } from './lib/fake-clock.js';

const fake = await createFake({ logLevel: 'error' });
beforeAll(() => fake.install());
afterAll(() => fake.close());

for (const [name, install] of Object.entries(flavours)) {
  describe(`${name}, installed after the fake started`, () => {
    let timers;
    beforeEach(() => { timers = install(); });
    afterEach(() => timers.uninstall());
    fakeClockScenarios(() => fake, () => timers);
  });
}
