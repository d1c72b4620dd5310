// The app of ../e2e/app/job.html follows a job's progress with the browser's EventSource;
// the standalone fake streams it, set per test through the tasks of cypress.config.ts.
import { sse, type JournalEntry } from 'polysse/fake/remote';

describe('job progress', () => {
  let scope = '';
  let baseURL = '';
  beforeEach(() => {
    cy.task<{ scope: string; baseURL: string }>('fake:scope').then((s) => {
      scope = s.scope;
      baseURL = s.baseURL;
    });
  });
  afterEach(() => {
    cy.task('fake:dispose', { scope });
  });

  it('shows progress, then Done: after complete the reconnect gets 204', () => {
    cy.task('fake:use', {
      scope,
      route: 'GET /jobs/7/events',
      answer: sse.stream(sse.retry(100), sse.event({ type: 'progress', id: '1', data: { pct: 50 } }), sse.complete({ ok: true })),
      options: { heartbeat: 0 },
    });
    cy.then(() => cy.visit(`/job.html?events=${encodeURIComponent(`${baseURL}/jobs/7/events`)}`));
    cy.get('#log li').should('have.length', 2).first().should('have.text', 'progress 50%');
    cy.get('#state').should('have.text', 'Done');
    cy.task<JournalEntry[]>('fake:requests', { scope, route: 'GET /jobs/7/events', n: 2 })
      .then((entries) => entries.map((e) => e.status))
      .should('deep.equal', [200, 204]);
  });

  it('shows what the test pushes', () => {
    cy.task('fake:use', { scope, route: 'GET /feed', answer: sse.stream(sse.hold()), options: { heartbeat: 0 } });
    cy.then(() => cy.visit(`/job.html?events=${encodeURIComponent(`${baseURL}/feed`)}`));
    cy.get('#state').should('have.text', 'open');
    cy.task('fake:send', { scope, route: 'GET /feed', event: { data: 'hello from the test' } });
    cy.get('#log li').should('have.text', 'message hello from the test');
  });
});
