// Type definitions for polysse: an EventSource for browsers and Node built on a Go
// WebAssembly core. See README.md ("JavaScript").

/** Why a source closed, as reported by the `close` event. */
export type CloseReason =
  | 'local' | 'complete' | 'fatal' | 'http-status' | 'content-type'
  | 'no-content' | 'retry-limit' | 'network' | 'event-too-large';

export type HeadersLike = HeadersInit;

/**
 * Reconnection backoff. The delay before reconnection attempt n (1 for the first after a
 * failure) is B × multiplier^(n-1), where B is the reconnection time (`initial`, or the
 * server's `retry:` field) raised to `min`; it is capped at `max`, shortened by up to
 * `jitter`, and raised to `min` again. So no server can make the source reconnect in a
 * tight loop: after `retry: 0` and an empty response, at most 100 times a second by
 * default (Chromium's own EventSource makes about 230 a second against a local server),
 * and a backoff grows from `min`.
 */
export interface RetryOptions {
  /** First reconnection delay in ms (default 3000); the server's `retry:` field replaces it. */
  initial?: number;
  /** Largest delay in ms (default 60000, or `initial` when larger; never below `min`). */
  max?: number;
  /** Shortest delay in ms, whatever `initial`, the server's `retry:` field or `jitter` say (default 10; 0 means the default). */
  min?: number;
  /** Growth per consecutive failure (default 1: constant delay, as native). */
  multiplier?: number;
  /** Largest random fraction (0..1) by which a delay is shortened (default 0). */
  jitter?: number;
  /** Consecutive failed reconnection attempts before closing with 'retry-limit' (default unlimited). */
  maxAttempts?: number;
  /**
   * How long (ms) a connection must stay open for the failure count to start again from
   * zero (default 5000): a stream that ends sooner counts as a failed attempt, for
   * `maxAttempts` and the backoff, so a server that answers 200 and ends at once cannot
   * defeat them. 0 resets the count as soon as a connection opens.
   */
  resetAfter?: number;
}

/** polysse's options beyond EventSourceInit's withCredentials. */
export interface PolysseInitExtensions {
  /** Request headers, or a function returning them (or a Promise of them), called per attempt. */
  headers?: HeadersLike | (() => HeadersLike | Promise<HeadersLike>);
  /** HTTP method (default GET). */
  method?: string;
  /** Request body, e.g. JSON for a POST. Not allowed with GET. */
  body?: string | URLSearchParams | ArrayBuffer | ArrayBufferView;
  /** The fetch to use; default globalThis.fetch, looked up at each attempt. */
  fetch?: typeof fetch;
  /** Reconnection backoff. */
  retry?: RetryOptions;
  /** Decide per response: open it, retry with backoff (at least its Retry-After, capped
   * by retry.max), or fail for good; undefined (or 'default') leaves the response to the
   * native rule (200 text/event-stream opens, anything else fails). The body is not read
   * yet: classify may clone the response to look at it. */
  classify?: (response: Response) => 'open' | 'retry' | 'fatal' | 'default' | undefined | void;
  /** ms without any byte before the connection is aborted and reestablished; 'auto' uses
   * the server's SSE-Heartbeat-Interval header plus a third. */
  heartbeatTimeout?: number | 'auto';
  /** Event type that ends the source normally (close reason 'complete'). */
  completeEvent?: string;
  /** Event type that ends the source with a failure (close reason 'fatal'). */
  fatalEvent?: string;
  /** Also send the last event ID as this query parameter. */
  lastEventIdQueryParameter?: string;
  /** Default true; false disconnects while the page is hidden and reconnects when visible. */
  openWhenHidden?: boolean;
  /**
   * Largest accepted event (its data, or any line) in bytes (default 8 MiB, 0 means the
   * default). A larger one closes the source with reason 'event-too-large', after the
   * events before it; it does not reconnect (the server would send the same event again).
   */
  maxEventSize?: number;
  /**
   * Longest last event ID stored, in bytes of UTF-8 (default 1024, the longest a polysse
   * server reads; 0 means the default). A longer `id:` field is ignored, as one containing
   * NUL is: `lastEventId` keeps its previous value, which the event carries and the next
   * attempt sends.
   */
  maxLastEventIdLength?: number;
  /**
   * Dispatch the stream's comment lines (heartbeats, say) as `comment` events, in order
   * with the others: MessageEvents whose `data` is the text after the colon (one leading
   * space removed) and whose `lastEventId` is the last event ID at that line. Default
   * false: comments are skipped at no cost. A server's `event: comment` events arrive
   * under the same type.
   */
  comments?: boolean;
}

/** The second argument of polysse's EventSource constructor. */
export interface PolysseEventSourceInit extends EventSourceInit, PolysseInitExtensions {}

/** The `error` event, with what polysse knows about the failure. */
export interface PolysseErrorEvent extends Event {
  readonly status?: number;
  readonly statusText?: string;
  /** Consecutive failed attempts, this one included. */
  readonly attempt?: number;
  /** ms until the next attempt; absent when the source closed. */
  readonly retryIn?: number;
  /** What went wrong, for users (not set for a failure that the status explains). */
  readonly message?: string;
}

/** The `close` event: fires exactly once when the source becomes CLOSED. */
export interface PolysseCloseEvent extends Event {
  readonly reason: CloseReason;
  /** A failure rather than a normal end. */
  readonly fatal: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly isLocal: boolean;
  /** Payload of the complete or fatal event, if any. */
  readonly data?: string;
  /** What went wrong, for users, when the close was a failure other than a status. */
  readonly message?: string;
}

export interface PolysseEventSourceEventMap {
  open: Event;
  message: MessageEvent<string>;
  /** With the `comments` option: a comment line of the stream, its text in `data`. */
  comment: MessageEvent<string>;
  error: PolysseErrorEvent;
  close: PolysseCloseEvent;
}

export declare class PolysseEventSource extends EventTarget {
  constructor(url: string | URL, init?: PolysseEventSourceInit);
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSED: 2;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSED: 2;
  readonly url: string;
  readonly withCredentials: boolean;
  readonly readyState: 0 | 1 | 2;
  // The handlers' `this` is typed as the DOM's EventSource, so that a polysse source is
  // assignable wherever an EventSource is expected (whose handlers take that `this`).
  onopen: ((this: EventSource, ev: Event) => any) | null;
  onmessage: ((this: EventSource, ev: MessageEvent<string>) => any) | null;
  onerror: ((this: EventSource, ev: PolysseErrorEvent) => any) | null;
  onclose: ((this: EventSource, ev: PolysseCloseEvent) => any) | null;
  close(): void;
  /**
   * Drops the connection (or ends the wait before the next attempt) and connects again at
   * once, with the last event ID. Not a failure: no `error` event, the failure count does
   * not grow. `readyState` is CONNECTING when it returns; `open` fires when the new
   * connection opens; no event of the dropped connection follows. Does nothing once
   * CLOSED.
   */
  restart(): void;
  addEventListener<K extends keyof PolysseEventSourceEventMap>(type: K, listener: (this: PolysseEventSource, ev: PolysseEventSourceEventMap[K]) => any, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: (this: PolysseEventSource, event: MessageEvent<string>) => any, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof PolysseEventSourceEventMap>(type: K, listener: (this: PolysseEventSource, ev: PolysseEventSourceEventMap[K]) => any, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

export interface PolysseAPI {
  EventSource: typeof PolysseEventSource;
  /** The EventSource that was there before polysse loaded (undefined in Node). */
  NativeEventSource: typeof EventSource | undefined;
  /** Sets globalThis.EventSource to polysse's; returns it. */
  install(): typeof PolysseEventSource;
  /** Restores what install replaced. */
  uninstall(): void;
  version: string;
}

export interface InitOptions {
  /** URL of polysse.wasm (default: beside this module). */
  wasmURL?: string | URL;
  /** A compiled module, or the wasm bytes. */
  wasmModule?: WebAssembly.Module | ArrayBuffer | ArrayBufferView;
}

/** Loads the module once; later calls return the same API. */
export declare function init(options?: InitOptions): Promise<PolysseAPI>;
export default init;

declare global {
  /** Defined by the classic script polysse.js. */
  var polysse: { ready: Promise<PolysseAPI> } | undefined;
}
