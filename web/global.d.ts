// Opt-in global types for polysse's install(): after install(), globalThis.EventSource is
// polysse's, so `new EventSource(url, { method, body, headers, ... })` is right; these
// declarations make TypeScript agree. Include them in a project that calls install() (a
// triple-slash reference to this file, or an import of it for its types); a project that
// uses api.EventSource needs nothing. They extend the DOM's EventSourceInit with polysse's
// options, and EventSource with its close and comment events and its restart method.
import type { PolysseCloseEvent, PolysseInitExtensions } from './polysse.js';

declare global {
  interface EventSourceInit extends PolysseInitExtensions {}
  interface EventSourceEventMap {
    close: PolysseCloseEvent;
    comment: MessageEvent<string>;
  }
  interface EventSource {
    onclose: ((this: EventSource, ev: PolysseCloseEvent) => any) | null;
    restart(): void;
  }
}

export {};
