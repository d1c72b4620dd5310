// Types of polysse/fake/remote: the client of a standalone fake's control API
// (npx polysse-fake, or the Go command). It is fetch calls only: it runs in Playwright's and
// Cypress's Node processes and in browsers. See web/fake/README.md.

import type { Answer, EventInit, EventMap, JournalEntry, Route, RouteOptions, RouteSpec, ScriptFile } from './fake.js';
export type { Answer, EventInit, EventMap, JournalEntry, Route, RouteOptions, RouteSpec, ScriptFile, Step, Ending } from './fake.js';
export { sse } from './fake.js';

/** A connection of the standalone fake, as the control API lists it. */
export interface RemoteConn<M extends EventMap = EventMap> {
  readonly id: string;
  readonly route: string;
  readonly attempt: number;
  readonly stream: boolean;
  readonly open: boolean;
  readonly lastEventId: string | null;
  send(event: EventInit<M>): Promise<void>;
  comment(text?: string): Promise<void>;
  raw(...parts: Array<string | Uint8Array | ArrayBuffer>): Promise<void>;
  end(): Promise<void>;
  drop(): Promise<void>;
  complete(data?: unknown): Promise<void>;
  fail(data?: unknown): Promise<void>;
}

/** A scope of a standalone fake: its own routes, journal, attempt counts and connections. */
export interface RemoteFake<M extends EventMap = EventMap> {
  /** The fake's origin. */
  readonly url: string;
  /** The scope's name. */
  readonly scope: string;
  /** Where the scope's routes are served: point the app under test here. */
  readonly baseURL: string;
  /** Adds a per-test override (scripted answers only: no handler functions over HTTP). */
  use(pattern: string, answer: Answer | Answer[], options?: RouteOptions): Promise<Route>;
  use(spec: RouteSpec<M>): Promise<Route>;
  /** Replaces the overrides with these routes. */
  setRoutes(routes: RouteSpec[] | ScriptFile): Promise<void>;
  next(route: string | Route, answer: Answer): Promise<void>;
  reset(): Promise<void>;
  /** Ends the scope's connections and forgets it (resets the default scope). */
  dispose(): Promise<void>;
  requests(route?: string | Route): Promise<JournalEntry[]>;
  /** Waits on the fake's side (at most 30 s) for n requests (to a route). */
  waitForRequests(route: string | Route | undefined, n?: number, opts?: { timeout?: number }): Promise<JournalEntry[]>;
  connections(route?: string | Route): Promise<RemoteConn<M>[]>;
  waitForConnection(route?: string | Route, opts?: { timeout?: number; attempt?: number }): Promise<RemoteConn<M>>;
  /** Resolves with the outcome of the connection's request once it has ended. */
  waitForDisconnect(conn: RemoteConn<M> | { id: string; route: string }, opts?: { timeout?: number }): Promise<JournalEntry['outcome']>;
  broadcast(route: string | Route, event: EventInit<M>): Promise<number>;
  publish(topic: string, event: EventInit<M>): Promise<string[]>;
  /** The connection with this id, to drive it. */
  conn(id: string, route?: string): RemoteConn<M>;
}

export interface ConnectOptions {
  /** Use this scope instead of creating one ('default': requests outside /s/...). */
  scope?: string;
  /** The fetch to call the control API with (default: the global fetch). */
  fetch?: typeof fetch;
}

/** Connects to a standalone fake and creates a scope of its own. */
export function connectFake<M extends EventMap = EventMap>(url: string | URL, options?: ConnectOptions): Promise<RemoteFake<M>>;

/** What the client throws: status is the control API's answer (0: no answer). */
export class RemoteFakeError extends Error {
  readonly status: number;
}
