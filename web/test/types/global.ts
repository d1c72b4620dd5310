// With the opt-in global declarations (what a project that calls install() includes, see
// web/global.d.ts), the global EventSource takes polysse's options and has its close event.
/// <reference path="../../global.d.ts" />
import init from 'polysse';

export async function withOptIn(): Promise<void> {
  (await init()).install();
  const es = new EventSource('/events', { method: 'POST', body: '{}', headers: { 'X-Token': 't' } });
  es.onclose = (e) => { const fatal: boolean = e.fatal; };
  es.addEventListener('close', (e) => { const reason: string = e.reason; });
  new EventSource('/events', { headers: () => ({ Authorization: 'Bearer t' }), retry: { maxAttempts: 3 } });
  const robust = new EventSource('/events', { comments: true, maxLastEventIdLength: 512, retry: { min: 50, resetAfter: 10_000 } });
  robust.addEventListener('comment', (e) => { const text: string = e.data; });
  robust.restart();
  // @ts-expect-error: still checked: method is a string
  new EventSource('/events', { method: 1 });
}
