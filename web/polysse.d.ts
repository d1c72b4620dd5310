// Type definitions for polysse: an EventSource for browsers and Node built on a Go
// WebAssembly core. See README.md ("JavaScript").

/** Why a source closed, as reported by the `close` event. */
export type CloseReason =
  | 'local' | 'complete' | 'fatal' | 'http-status' | 'content-type'
  | 'no-content' | 'retry-limit' | 'network' | 'event-too-large';

export type HeadersLike = HeadersInit;

export interface RetryOptions {
  /** First reconnection delay in ms (default 3000); the server's `retry:` field replaces it. */
  initial?: number;
  /** Largest delay in ms (default 60000, or `initial` when larger). */
  max?: number;
  /** Growth per consecutive failure (default 1: constant delay, as native). */
  multiplier?: number;
  /** Largest random fraction (0..1) by which a delay is shortened (default 0). */
  jitter?: number;
  /** Consecutive failed reconnection attempts before closing with 'retry-limit' (default unlimited). */
  maxAttempts?: number;
  /** How long (ms) a connection must stay open for the failure count to reset (default 0). */
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
  /** Largest accepted event in bytes (default 8 MiB); larger closes with 'event-too-large'. */
  maxEventSize?: number;
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
