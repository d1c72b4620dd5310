// Cypress against the standalone fake. Cypress's own binary cannot be downloaded where
// polysse's tests run, so `make test` only type-checks these files (tsc; see README.md);
// with Cypress installed, run them with:
//   npx polysse-fake --port 4010 --routes ../fixtures/routes.json &   # the fake
//   (serve ../e2e/app on http://127.0.0.1:5173)                        # the app under test
//   POLYSSE_FAKE_URL=http://127.0.0.1:4010 npx cypress run --config-file cypress/cypress.config.ts
// The fake's control API is driven from tasks (Node, polysse/fake/remote): the browser
// side never needs CORS for it, and each spec gets a scope of its own.
import { defineConfig } from 'cypress';
import { connectFake, type Answer, type EventInit, type RemoteFake, type RouteOptions } from 'polysse/fake/remote';

const fakeURL = process.env.POLYSSE_FAKE_URL ?? 'http://127.0.0.1:4010';
const scopes = new Map<string, RemoteFake>();

function scope(name: string): RemoteFake {
  const s = scopes.get(name);
  if (!s) throw new Error(`no fake scope ${name}: call the task fake:scope first`);
  return s;
}

export default defineConfig({
  e2e: {
    baseUrl: process.env.APP_URL ?? 'http://127.0.0.1:5173',
    specPattern: 'cypress/e2e/**/*.cy.ts',
    supportFile: false,
    setupNodeEvents(on) {
      on('task', {
        // A new scope: its name and the base URL of its streams. (Tasks must return a value.)
        async 'fake:scope'() {
          const s = await connectFake(fakeURL);
          scopes.set(s.scope, s);
          return { scope: s.scope, baseURL: s.baseURL };
        },
        async 'fake:use'({ scope: name, route, answer, options }: { scope: string; route: string; answer: Answer | Answer[]; options?: RouteOptions }) {
          await scope(name).use(route, answer, options);
          return null;
        },
        async 'fake:send'({ scope: name, route, event }: { scope: string; route: string; event: EventInit }) {
          const conn = await scope(name).waitForConnection(route);
          await conn.send(event);
          return conn.id;
        },
        async 'fake:requests'({ scope: name, route, n }: { scope: string; route: string; n: number }) {
          return scope(name).waitForRequests(route, n);
        },
        async 'fake:dispose'({ scope: name }: { scope: string }) {
          await scope(name).dispose();
          scopes.delete(name);
          return null;
        },
      });
    },
  },
});
