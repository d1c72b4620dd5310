// Types of polysse/fake: a fake SSE server in the test's process (polysse-fake.wasm: the
// engine and polysse's Go server compiled to WebAssembly). See web/fake/README.md.

/** Event maps: event type → data type. The default allows any event. */
export type EventMap = Record<string, unknown>;

/**
 * An event to send. With an event map M, `type` must be one of its keys and `data` its type;
 * an event without a type (or with type 'message') takes M['message'] when M has it.
 * Data that is not a string is sent as its JSON text; multi-line data becomes several
 * data: lines.
 */
export type EventInit<M extends EventMap = EventMap> =
  | { [K in Exclude<keyof M & string, 'message'>]: { type: K; id?: string; retry?: number; data: M[K] } }[Exclude<keyof M & string, 'message'>]
  | { type?: 'message'; id?: string; retry?: number; data?: 'message' extends keyof M ? M['message'] : unknown };

/** A step of a stream, or of a respond answer's body (raw, wait, repeat and the endings end, drop, hold). */
export type Step =
  | { event: { type?: string; id?: string; data?: unknown; retry?: number | string } }
  | { comment: string }
  | { retry: number | string }
  | { raw: string }
  | { rawBase64: string }
  | { wait: number | string }
  | { publish: { topic: string; event: { type?: string; id?: string; data?: unknown; retry?: number | string } } }
  | { repeat: number | string | null; steps: Step[] }
  | Ending;

/** The endings: the last step of an answer; without one, the connection is held open. */
export type Ending = 'end' | 'drop' | 'hold' | { complete: unknown } | { fail: unknown };

interface AnswerCommon {
  /** How many attempts the answer serves (default 1); the last answer serves every later attempt. */
  times?: number;
  /** A wait before the response head (ms on the fake's clock), or 'forever' (until the client goes away). */
  delay?: number | string;
}
/** An answer streamed by the route's server (polysse's server.Server): 200, its preamble, then the steps. */
export interface StreamAnswer extends AnswerCommon { stream: Step[] }
/** A plain HTTP answer, not through the server: any status and headers (null: absent), a body of text or steps. */
export interface RespondAnswer extends AnswerCommon {
  respond: { status: number | string; headers?: Record<string, string | null>; body?: string | Step[] };
}
/** No response: the client sees a network error. */
export interface DropAnswer extends AnswerCommon { drop: true }
export type Answer = StreamAnswer | RespondAnswer | DropAnswer;

/** Options of a route's server (templates allowed where a string is), and of its answers. */
export interface ServerOptions {
  /** Heartbeat interval, ms; 0 turns heartbeats off (default: the server's, 15 s). */
  heartbeat?: number | string;
  /** The retry: field of the stream's preamble, ms. */
  reconnectionTime?: number | string;
  /** Topics the route's streams subscribe to (publish reaches them). */
  topics?: string[];
  /** Events each topic keeps for clients that resume with Last-Event-ID. */
  replay?: number | string;
  /** How long a kept event stays, ms. */
  replayAge?: number | string;
  /** Every published event without an id gets one. */
  autoIds?: boolean;
  /** How long completion tokens stay redeemable, ms. */
  tokenTTL?: number | string;
  /** Every attempt goes through the server's refusal path with this answer (204: the client stops). */
  refuse?: { status: number | string; headers?: Record<string, string | null>; body?: string };
  /** Written first to a stream whose resume is a gap. */
  gapEvent?: { type?: string; id?: string; data?: unknown; retry?: number | string };
  /** A query parameter read as the last event ID. */
  lastEventIdQuery?: string;
  /** Headers added to every answer of the route (null: removed). */
  headers?: Record<string, string | null>;
  /** CORS of the route (default: off in process). */
  cors?: 'echo' | 'echo-nocreds' | 'star' | 'off' | (string & {});
  /** Answer CORS preflights. */
  preflight?: boolean | string;
}

/** Conditions on a request besides its method and path: '*' present, null absent, a string that value. */
export interface Match {
  query?: Record<string, string | null>;
  headers?: Record<string, string | null>;
}

/** Options of route() and use(): the route's name, match and attempt key, and its server's options. */
export interface RouteOptions extends ServerOptions {
  /** How the route is referred to (default: its pattern). */
  name?: string;
  match?: Match;
  /** Count attempts per expansion of this template (e.g. '{query.sid}'). */
  attemptKey?: string;
  /** The server options, as in a script file (merged with the ones given directly). */
  options?: ServerOptions;
}

/** A route object, as in a script file (plus a handler in process). */
export interface RouteSpec<M extends EventMap = EventMap> {
  route: string;
  name?: string;
  match?: Match;
  options?: ServerOptions;
  answers?: Answer[];
  attemptKey?: string;
  handler?: Handler<M>;
}

/** A script file: the same JSON drives the fake in process, standalone and in Go. */
export interface ScriptFile {
  version: 1;
  routes: RouteSpec[];
}

/** What route() and use() return: how to refer to the route. */
export interface Route {
  readonly name: string;
  readonly route: string;
}

/** The journal's record of one request. */
export interface JournalEntry {
  seq: number;
  scope: string;
  /** The route that answered; null when none matched. */
  route: string | null;
  attempt: number;
  connection: string | null;
  method: string;
  url: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  lastEventId: string | null;
  body: string;
  /** The body in base64 when it is not UTF-8 (body is then empty). At most 64 KiB are kept. */
  bodyBase64?: string;
  /** null: no response was written (a drop, or not yet). */
  status: number | null;
  outcome: 'open' | 'ended' | 'dropped' | 'client-gone' | 'refused' | 'unhandled';
  /** ms since the epoch, on the fake's clock (the test's fake clock when it has one). */
  startedAt: number;
  endedAt: number | null;
}

/** A connection of the fake: an open response. Its operations run in order; each returns a promise you may await. */
export interface Conn<M extends EventMap = EventMap> {
  /** c1, c2, ... in the order connections opened since the last reset ('' while a handler's stream starts). */
  readonly id: string;
  readonly route: string;
  readonly attempt: number;
  readonly lastEventId: string | null;
  /** true for a stream of the route's server, false for a plain (respond) answer. */
  readonly stream: boolean;
  readonly open: boolean;
  /** Why it ended ('' while open): complete, fatal, closed, client-gone, dropped, ended, refused, ... */
  readonly reason: string;
  send(event: EventInit<M>): Promise<void>;
  /** A comment line; no text: the bare ':' of a heartbeat. */
  comment(text?: string): Promise<void>;
  /** Each part as a chunk of its own: strings as UTF-8, bytes as they are. */
  raw(...parts: Array<string | Uint8Array | ArrayBuffer>): Promise<void>;
  /** Ends the response cleanly: a spec client reconnects. */
  end(): Promise<void>;
  /** Cuts the connection: the client sees a network error. Nothing throws in the test. */
  drop(): Promise<void>;
  /** Ends the stream with a complete event and a completion token: the reconnect gets 204. */
  complete(data?: unknown): Promise<void>;
  /** Ends the stream with a fatal event: the reconnect gets 204 with SSE-Outcome: fatal. */
  fail(data?: unknown): Promise<void>;
  /** Sleeps on the fake's clock (after what is queued); rejects when the connection ends first. */
  sleep(ms: number): Promise<void>;
}

/** What a handler gets: the attempt, and the ways to answer it (one of stream, respond, drop, serve, forward). */
export interface HandlerContext<M extends EventMap = EventMap> {
  readonly request: Request;
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readonly body: Uint8Array;
  readonly params: Record<string, string>;
  readonly attempt: number;
  readonly lastEventId: string | null;
  readonly route: string;
  /** Answers with a stream of the route's server (its options apply) and returns its connection at once. */
  stream(): Conn<M>;
  respond(status: number, init?: { headers?: HeadersInit; body?: string | Uint8Array }): Promise<void>;
  /** No response: a network error. */
  drop(): Promise<void>;
  /** A scripted answer. */
  serve(answer: Answer): Promise<void>;
  /** Answers as the route matching another path would. */
  forward(path: string): Promise<void>;
  /** Sleeps on the fake's clock; rejects when the request is over first. */
  sleep(ms: number): Promise<void>;
}

/** Code that answers a route's attempts; an open stream stays open after it returns. */
export type Handler<M extends EventMap = EventMap> = (ctx: HandlerContext<M>) => void | Promise<void>;

export interface WaitOptions {
  /** Default 5000 ms, counted in polls: the same under real and fake timers. */
  timeout?: number;
  /** Default 50 ms: under fake timers, how far each poll advances them. */
  interval?: number;
}

/** What to do with a request no route matches. */
export type UnhandledPolicy =
  | 'error'
  | 'warn'
  | 'bypass'
  | ((request: Request) => void | 'error' | 'warn' | 'bypass' | Response | Promise<void | 'error' | 'warn' | 'bypass' | Response>);

export interface FakeOptions {
  /** Default routes (route objects), or a script file. */
  routes?: RouteSpec[] | ScriptFile;
  /**
   * 'error' (default): the fetch rejects with a TypeError naming method and URL, and
   * console.error says so; 'warn': console.warn, then bypass; 'bypass': the fetch of before
   * install() (or the global fetch) answers; a function decides per request (its Response
   * answers; undefined passes it on).
   */
  onUnhandled?: UnhandledPolicy;
  /** What relative URLs resolve against where there is no document (default http://localhost/). */
  baseURL?: string;
  /** The engine's and the servers' logs, on the console (default 'warn'). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Journal entries kept (default 10 000). */
  journalSize?: number;
  /** End held connections after this many ms (default: never). */
  maxHold?: number;
  /** CORS of routes that do not set it (default 'off'). */
  cors?: 'echo' | 'echo-nocreds' | 'star' | 'off';
  /** Answer CORS preflights for routes that do not say (default false). */
  preflight?: boolean;
  /** Where polysse-fake.wasm is (default: next to this module), or the module or its bytes. */
  wasmURL?: string | URL;
  wasmModule?: WebAssembly.Module | ArrayBuffer | ArrayBufferView;
}

export interface Fake<M extends EventMap = EventMap> {
  /** What relative URLs resolve against (document.baseURI where there is one). */
  readonly baseURL: string;
  /** Adds a default route: it stays across reset. */
  route(pattern: string, answer: Answer | Answer[] | Handler<M>, options?: RouteOptions): Route;
  route(spec: RouteSpec<M>): Route;
  /** Adds a per-test override, tried before the defaults; reset removes it. */
  use(pattern: string, answer: Answer | Answer[] | Handler<M>, options?: RouteOptions): Route;
  use(spec: RouteSpec<M>): Route;
  /** Queues an answer for the next attempt of a route. */
  next(route: string | Route, answer: Answer): void;
  /** Adds a script file's routes as default routes (an imported JSON module works too). */
  load(file: ScriptFile | { default: ScriptFile } | string): void;
  /** Ends every connection, empties the journal, drops overrides and next answers, restarts attempt counts. */
  reset(): void;
  /** Ends everything and restores what install() replaced. */
  close(): Promise<void>;
  /** Publishes through the route servers (replay and auto ids apply); resolves with the ids. */
  publish(topic: string, event: EventInit<M>): Promise<string[]>;
  /** Sends to every open connection of a route; resolves with how many it reached. */
  broadcast(route: string | Route, event: EventInit<M>): Promise<number>;
  /** The open connections (of a route). */
  connections(route?: string | Route): Conn<M>[];
  /** The journal (of a route), oldest first. */
  requests(route?: string | Route): JournalEntry[];
  /** Waits for n requests (to a route); advances fake timers while it polls. */
  waitForRequests(route: string | Route | undefined, n?: number, opts?: WaitOptions): Promise<JournalEntry[]>;
  /** Waits for an open connection (of a route, of an attempt) and returns the newest. */
  waitForConnection(route?: string | Route, opts?: WaitOptions & { attempt?: number }): Promise<Conn<M>>;
  /** Waits until a connection has ended; resolves with why. */
  waitForDisconnect(conn: Conn<M>, opts?: WaitOptions): Promise<string>;
  /** A fetch answered by the fake with a streaming Response (polysse's fetch option, fetch-event-source, ...). */
  fetch: typeof fetch;
  /** For an MSW handler: the fake's Response, or undefined when no route matches (MSW goes on). */
  handle(request: Request): Promise<Response | undefined>;
  /** globalThis.EventSource becomes polysse's, fetching from the fake; globalThis.fetch answers matching routes. */
  install(): Promise<void>;
  /** Restores the globals install() replaced. */
  uninstall(): void;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a fake SSE server in this process; resolves once it is ready. */
export function createFake<M extends EventMap = EventMap>(options?: FakeOptions): Promise<Fake<M>>;

/** What the fake throws. */
export class FakeError extends Error {
  readonly code: 'ENDED' | 'NOT_FOUND' | 'INVALID' | 'CLOSED' | 'RESET' | 'OVER' | 'ANSWERED' | 'NOT_STREAM' | 'TIMEOUT' | 'ERROR';
  /** For TIMEOUT: the journal's last entries. */
  readonly last?: JournalEntry[];
}

/** Builders of routes, answers and steps: plain data in the script format. */
export declare const sse: {
  route<M extends EventMap = EventMap>(pattern: string, answer: Answer | Answer[] | Handler<M>, options?: RouteOptions): RouteSpec<M>;
  route<M extends EventMap = EventMap>(spec: RouteSpec<M>): RouteSpec<M>;
  file(routes: RouteSpec[]): ScriptFile;
  stream(...steps: Array<Step | Step[]>): StreamAnswer;
  respond(status: number | string, init?: { headers?: Record<string, string | null>; body?: string | Step[] }): RespondAnswer;
  networkError(): DropAnswer;
  times<A extends Answer>(n: number, answer: A): A;
  delay<A extends Answer>(ms: number | 'forever' | (string & {}), answer: A): A;
  event<M extends EventMap = EventMap>(event: EventInit<M>): Step;
  comment(text?: string): Step;
  heartbeat(): Step;
  retry(ms: number | string): Step;
  raw(data: string | Uint8Array | ArrayBuffer): Step;
  wait(ms: number | string): Step;
  publish<M extends EventMap = EventMap>(topic: string, event: EventInit<M>): Step;
  repeat(n: number | string | null, ...steps: Array<Step | Step[]>): Step;
  end(): 'end';
  drop(): 'drop';
  hold(): 'hold';
  complete(data?: unknown): Ending;
  fail(data?: unknown): Ending;
};
