// The 'sinon epoch 0' fake timers are installed before polysse/fake starts its Go runtime (the first
// createFake of this file) and stay installed for every test.
// (Static imports: a dynamic import() here would go through Vitest's module runner, which
// waits on timers that raw @sinonjs/fake-timers replace.)
import { afterAll, beforeAll, describe } from 'vitest';
import { createFake } from 'polysse/fake';
import { flavours } from './lib/flavours.js';
import { fakeClockScenarios } from './lib/fake-clock.js';

const timers = flavours['sinon epoch 0']();
const fake = await createFake({ logLevel: 'error' });
beforeAll(() => fake.install());
afterAll(async () => {
  await fake.close();
  timers.uninstall();
});

describe('sinon epoch 0, installed before the fake started', () => {
  fakeClockScenarios(() => fake, () => timers);
});
