// polysse's EventSource is a drop-in for the DOM's, at the type level. Checked by tsc
// (tsconfig.json, tsconfig.global.json); nothing here runs. Every @ts-expect-error line
// must fail to type-check: tsc reports an unused one.
import init, { type PolysseAPI, type PolysseCloseEvent, type PolysseErrorEvent, type PolysseEventSource } from 'polysse';

export async function dropIn(): Promise<void> {
  const api: PolysseAPI = await init({ wasmURL: '/polysse.wasm' });
  const es = new api.EventSource('/events', {
    withCredentials: true, method: 'POST', body: JSON.stringify({ q: 1 }),
    headers: async () => ({ Authorization: 'Bearer t' }), retry: { initial: 1000, multiplier: 2, maxAttempts: 5 },
    heartbeatTimeout: 'auto', completeEvent: 'done', maxEventSize: 1 << 20,
  });
  // The options against storms and for what Go SSE clients offer.
  const robust = new api.EventSource('/events', {
    retry: { min: 100, resetAfter: 0, multiplier: 2, max: 30_000 }, maxLastEventIdLength: 256, comments: true,
  });
  robust.addEventListener('comment', (e) => { const text: string = e.data; const id: string = e.lastEventId; });
  robust.restart();
  const restartDOM: EventSource = robust;

  // Assignable where an EventSource is expected: a variable, a parameter, an array.
  const asDOM: EventSource = es;
  const takesDOM = (s: EventSource): number => s.readyState;
  takesDOM(es);
  const all: EventSource[] = [es, asDOM];
  // The class where the DOM's constructor is expected (libraries that take an EventSource
  // class to construct, e.g. for dependency injection).
  const Ctor: typeof EventSource = api.EventSource;
  const made: EventSource = new Ctor(new URL('https://example.com/events'), { withCredentials: false });
  const factory: (url: string) => EventSource = (url) => new api.EventSource(url);

  // The DOM's handlers and listeners work on it, and polysse's events are typed.
  es.onmessage = (e) => { const d: string = e.data; };
  es.onerror = (e) => { const n: number | undefined = e.status; };
  es.onclose = (e) => { const fatal: boolean = e.fatal; };
  es.addEventListener('message', (e) => { const id: string = e.lastEventId; });
  es.addEventListener('close', (e) => { const r: PolysseCloseEvent['reason'] = e.reason; });
  es.addEventListener('error', (e: PolysseErrorEvent) => e.retryIn);
  es.addEventListener('named', (e) => { const d: string = e.data; });
  const state: 0 | 1 | 2 = es.readyState;
  if (es.readyState === es.CLOSED || es.readyState === api.EventSource.OPEN) es.close();

  // Not everything goes.
  // @ts-expect-error: a close reason is one of CloseReason
  const badReason: PolysseCloseEvent['reason'] = 'gone';
  // @ts-expect-error: retry.initial is a number of ms
  new api.EventSource('/events', { retry: { initial: '3s' } });
  // @ts-expect-error: heartbeatTimeout is a number or 'auto'
  new api.EventSource('/events', { heartbeatTimeout: 'sometimes' });
  // @ts-expect-error: readyState is read-only
  es.readyState = 1;
  // @ts-expect-error: comments is a boolean
  new api.EventSource('/events', { comments: 'yes' });
  // @ts-expect-error: retry.min is a number of ms
  new api.EventSource('/events', { retry: { min: '10ms' } });
  // @ts-expect-error: maxLastEventIdLength is a number
  new api.EventSource('/events', { maxLastEventIdLength: '1k' });
  // @ts-expect-error: restart takes no argument
  es.restart(true);
  // @ts-expect-error: a DOM EventSource is not polysse's (it has no onclose)
  const back: PolysseEventSource = asDOM;
  void [all, made, factory, state, badReason, back, restartDOM];
}
