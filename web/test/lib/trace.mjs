// Page side of the conformance suite (web/test/browser.test.mjs): runs one EventSource, the
// native one or polysse's, and records everything a page can observe of it, as plain data
// that the Node side compares.

// describeEvent returns the observable fields of event e dispatched on es.
function describeEvent(es, e) {
  const o = {
    type: e.type,
    readyState: es.readyState,
    ctor: e.constructor.name,
    bubbles: e.bubbles,
    cancelable: e.cancelable,
    target: e.target === es && e.currentTarget === es,
  };
  if (e instanceof MessageEvent) {
    o.data = e.data;
    o.lastEventId = e.lastEventId;
    o.origin = e.origin;
    o.source = e.source;
    o.ports = e.ports.length;
  }
  return o;
}

// describeError returns the observable fields of an exception.
export function describeError(e) {
  return {
    name: e && e.name,
    ctor: e && e.constructor && e.constructor.name,
    isDOMException: e instanceof DOMException,
    isTypeError: e instanceof TypeError,
    code: e && e.code,
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// trace runs new Impl(url, init) and records its events until it is done, then waits
// settle ms more (events then are "late") and resolves with the record.
//
// Options:
//   init           the second constructor argument (omitted when undefined)
//   types          named event types to listen to, besides open, message and error
//   stopOn         close() inside the listener of the event whose data is this (default 'END')
//   closeOnOpen    close() inside the open listener
//   closeOnError   close() inside the listener of the n-th error event (n >= 1)
//   closeDelay     with closeOnError/closeOnOpen: close() that many ms later instead, from a timer
//   closeAt        'construct': close() right after the constructor returns;
//                  'requested': close() once the server logged the request (logURL)
//   logURL         the /log URL of the run, for closeAt 'requested'
//   settle         ms to wait for late events once done (default 200)
//   timeout        ms after which the run is closed and marked timedOut (default 10000)
//   blob           url is ignored: the source opens a blob: URL of a Blob of this text
//                  (type text/event-stream), revoked at once with revoked: true
//
// The run is done when the harness called close(), or an error event saw readyState CLOSED.
export function trace(Impl, url, opts = {}) {
  const {
    init, types = [], stopOn = 'END', closeOnOpen = false, closeOnError = 0, closeDelay = -1,
    closeAt = '', logURL = '', settle = 200, timeout = 10000, blob, revoked = false,
  } = opts;
  if (blob !== undefined) {
    url = URL.createObjectURL(new Blob([blob], { type: 'text/event-stream' }));
    if (revoked) URL.revokeObjectURL(url);
  }
  return new Promise((resolve) => {
    const rec = { events: [], late: [], closes: [], timedOut: false };
    let es;
    try {
      es = init === undefined ? new Impl(url) : new Impl(url, init);
    } catch (e) {
      resolve({ threw: describeError(e) });
      return;
    }
    rec.initialState = es.readyState;
    rec.url = blob === undefined ? es.url : es.url.replace(/[^/]*$/, 'X'); // blob URLs differ
    rec.withCredentials = es.withCredentials;
    let done = false;
    let errors = 0;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      rec.finalState = es.readyState;
      setTimeout(() => {
        rec.afterSettle = es.readyState;
        resolve(rec);
      }, settle);
    };
    const close = () => {
      es.close();
      rec.closedAtState = es.readyState;
      finish();
    };
    const closeSoon = () => (closeDelay >= 0 ? setTimeout(close, closeDelay) : close());
    const timer = setTimeout(() => {
      rec.timedOut = true;
      close();
    }, timeout);
    const onEvent = (e) => {
      const d = describeEvent(es, e);
      (done ? rec.late : rec.events).push(d);
      if (done) return;
      if (e.type === 'error') {
        errors++;
        if (es.readyState === 2) finish();
        else if (closeOnError && errors === closeOnError) closeSoon();
      } else if (e.type === 'open' && closeOnOpen) {
        closeSoon();
      } else if (stopOn !== null && e.data === stopOn) {
        close();
      }
    };
    for (const t of new Set(['open', 'message', 'error', ...types])) es.addEventListener(t, onEvent);
    es.addEventListener('close', (e) => {
      rec.closes.push({
        reason: e.reason, fatal: e.fatal, status: e.status, isLocal: e.isLocal,
        data: e.data, readyState: es.readyState, ctor: e.constructor.name,
      });
    });
    if (closeAt === 'construct') {
      close();
    } else if (closeAt === 'requested') {
      fetch(`${logURL}&min=1&wait=5000`).then(() => close(), () => close());
    }
  });
}

// pair runs the same scenario against the native EventSource and polysse's, concurrently,
// each with its own URL (its own server-side run), and resolves with both records.
export function pair(api, nativeURL, polysseURL, opts) {
  const o = { ...opts };
  const logs = o.logURLs || [];
  return Promise.all([
    trace(api.NativeEventSource, nativeURL, { ...o, logURL: logs[0] }),
    trace(api.EventSource, polysseURL, { ...o, logURL: logs[1] }),
  ]);
}

// handlerOrder records, for each message event of a stream, the order in which listeners
// and the onmessage handler run while the handler is changed between events, as in the
// HTML spec's event handler processing: replacing it keeps its place, setting null removes
// it, setting a function again puts it at the end. (The record is taken from a timer, so
// that microtask timing, which differs between native and script dispatch, plays no part.)
export function handlerOrder(Impl, url) {
  return new Promise((resolve) => {
    const es = new Impl(url);
    const order = [];
    let n = 0;
    const log = (s) => order.push(`${n}:${s}`);
    const checks = {};
    const done = (extra) => setTimeout(() => resolve({ order, checks, ...extra }), 0);
    es.addEventListener('message', () => log('L1'));
    es.onmessage = () => log('H1');
    es.addEventListener('message', () => log('L2'));
    const h2 = () => log('H2');
    es.addEventListener('message', (e) => {
      n++;
      if (n === 1) {
        es.onmessage = h2; // keeps the handler's place
        checks.same = es.onmessage === h2;
      } else if (n === 2) {
        es.onmessage = null; // removes it
        checks.nulled = es.onmessage;
      } else if (n === 3) {
        es.onmessage = () => log('H3'); // a new place, at the end
      }
      if (e.data === 'END') {
        es.close();
        done();
      }
    });
    es.addEventListener('message', () => log('L3'));
    setTimeout(() => { es.close(); done({ timedOut: true }); }, 10000);
  });
}

// listenerSemantics records how the listeners of the message events of a stream (the
// 'events' scenario: six message events, the last 'END') are called: the order of
// capturing and other listeners, duplicates, once, signal, handleEvent objects (this, a
// handleEvent that stops being callable), an exception in a listener (reported, the others
// still run), listeners added and removed during a dispatch, stopImmediatePropagation,
// stopPropagation in a capturing listener, this, and target, currentTarget, eventPhase,
// srcElement, composedPath() and cancelBubble during and after the dispatch. Run one
// implementation at a time: the errors reported to the window are recorded too.
export function listenerSemantics(Impl, url) {
  return new Promise((resolve) => {
    const es = new Impl(url);
    const log = [];
    let n = 0;
    let kept = null;
    let third = null;
    const onError = (ev) => {
      log.push(`${n}:reported ${ev.error && ev.error.constructor.name}${ev.error && /^listener/.test(ev.error.message) ? ` ${ev.error.message}` : ''}`);
      ev.preventDefault();
    };
    window.addEventListener('error', onError);
    const view = (e) => [e.eventPhase, e.currentTarget === es, e.target === es, e.srcElement === es,
      e.composedPath().length, e.cancelBubble, e.defaultPrevented].join('/');
    let finished = false;
    const finish = (extra) => setTimeout(() => {
      if (finished) return;
      finished = true;
      es.close();
      const after = kept && view(kept);
      // The page's own dispatch reaches the listeners that are left, and no others.
      n = 'synthetic';
      es.dispatchEvent(new MessageEvent('message', { data: 'synthetic' }));
      window.removeEventListener('error', onError);
      // A received event (the third, not stopped) dispatched again, on another target.
      const relay = [];
      if (third) {
        const other = new EventTarget();
        other.addEventListener('message', (e) => relay.push(e === third, e.target === other, e.currentTarget === other, e.eventPhase, e.composedPath().length));
        relay.push(other.dispatchEvent(third), third.target === other, third.currentTarget, third.eventPhase, third.data);
      }
      resolve({ log, after, relay, ...extra });
    }, 0);
    es.addEventListener('message', (e) => {
      log.push(`${n}:capture ${view(e)}`);
      if (n === 6) e.stopPropagation(); // in a capturing listener at the target
      if (e.data === 'END') finish();
    }, true);
    es.addEventListener('message', function first(e) {
      if (typeof n === 'number') n++;
      kept = e;
      if (n === 3) third = e;
      log.push(`${n}:first this=${this === es} ${view(e)}`);
    });
    const dup = () => log.push(`${n}:dup`);
    es.addEventListener('message', dup);
    es.addEventListener('message', dup); // the same listener: ignored
    es.addEventListener('message', dup, { capture: true }); // a capturing one: another listener
    es.addEventListener('message', () => log.push(`${n}:once`), { once: true });
    es.addEventListener('message', () => log.push(`${n}:capturing once`), { capture: true, once: true });
    const ac = new AbortController();
    es.addEventListener('message', () => {
      log.push(`${n}:signal`);
      if (n === 2) ac.abort();
    }, { signal: ac.signal });
    const obj = { handleEvent(e) { log.push(`${n}:handleEvent this=${this === obj} ${e.type}`); } };
    es.addEventListener('message', obj);
    es.addEventListener('message', () => { throw new Error(`listener ${n}`); });
    const late = () => log.push(`${n}:late`);
    const removed = () => log.push(`${n}:removed`);
    es.addEventListener('message', (e) => {
      if (n === 1) es.addEventListener('message', late); // from the next event on
      if (n === 2) es.removeEventListener('message', removed); // already from this one
      if (n === 3) obj.handleEvent = 42; // reported from the next event on
      if (n === 4) e.stopImmediatePropagation();
      if (n === 5) {
        e.stopPropagation(); // at the target: the other listeners still run
        log.push(`${n}:cancelBubble ${e.cancelBubble}`);
      }
    });
    es.addEventListener('message', removed);
    es.addEventListener('message', () => log.push(`${n}:last`));
    setTimeout(() => finish({ timedOut: true }), 10000);
  });
}

// shape returns the observable shape of an EventSource class: its constants, property
// descriptors, inheritance and the results of constructing it in odd ways.
export function shape(Impl, urls) {
  const desc = (o, k) => {
    const d = Object.getOwnPropertyDescriptor(o, k);
    if (!d) return null;
    return {
      kind: 'value' in d ? 'data' : 'accessor',
      value: typeof d.value === 'function' ? 'function' : d.value,
      writable: d.writable,
      enumerable: d.enumerable,
      configurable: d.configurable,
      get: typeof d.get,
      set: typeof d.set,
    };
  };
  const names = ['url', 'withCredentials', 'readyState', 'onopen', 'onmessage', 'onerror', 'close',
    'CONNECTING', 'OPEN', 'CLOSED'];
  const out = {
    name: Impl.name,
    length: Impl.length,
    statics: Object.fromEntries(['CONNECTING', 'OPEN', 'CLOSED'].map((k) => [k, desc(Impl, k)])),
    proto: Object.fromEntries(names.map((k) => [k, desc(Impl.prototype, k)])),
    protoIsEventTarget: Object.getPrototypeOf(Impl.prototype) === EventTarget.prototype,
    callable: (() => { try { Impl(urls.plain); return 'no error'; } catch (e) { return describeError(e); } })(),
    noArgs: (() => { try { new Impl(); return 'no error'; } catch (e) { return describeError(e); } })(),
  };
  const es = new Impl(urls.plain);
  out.instance = {
    instanceofEventTarget: es instanceof EventTarget,
    instanceofImpl: es instanceof Impl,
    toStringTag: Object.prototype.toString.call(es),
    ownKeys: Reflect.ownKeys(es).map(String),
    constants: [es.CONNECTING, es.OPEN, es.CLOSED],
    readyState: es.readyState,
    withCredentials: es.withCredentials,
    handlers: [es.onopen, es.onmessage, es.onerror],
    forIn: (() => {
      const keys = [];
      for (const k in es) keys.push(k);
      return ['addEventListener', 'removeEventListener', 'dispatchEvent'].filter((k) => keys.includes(k));
    })(),
  };
  const f = () => {};
  es.onopen = f;
  const obj = { handleEvent() {} };
  es.onerror = obj;
  es.onmessage = 42;
  out.instance.handlerSet = [es.onopen === f, es.onerror === obj, es.onmessage];
  try { es.readyState = 1; } catch (e) { out.instance.setReadyState = describeError(e); }
  out.instance.readyStateAfterSet = es.readyState;
  es.close();
  out.instance.closed = es.readyState;
  es.close(); // a second close is harmless
  const creds = [undefined, {}, { withCredentials: true }, { withCredentials: 1 }, { withCredentials: '' }, null]
    .map((init) => {
      const e = init === undefined ? new Impl(urls.plain) : new Impl(urls.plain, init);
      const v = e.withCredentials;
      e.close();
      return v;
    });
  out.withCredentials = creds;
  out.badInit = (() => { try { new Impl(urls.plain, 5).close(); return 'no error'; } catch (e) { return describeError(e); } })();
  return out;
}

// urlCases returns how the constructor resolves and rejects URLs: relative to the
// document base (a <base href> is inserted for the run), invalid ones, non-strings.
export async function urlCases(Impl, sidQuery) {
  const out = {};
  const tryNew = (u) => {
    try {
      const es = new Impl(u);
      const url = es.url;
      es.close();
      return { url: url.replace(/sid=[^&]*/, 'sid=X') };
    } catch (e) {
      return { threw: describeError(e) };
    }
  };
  const base = document.createElement('base');
  base.href = '/sse/';
  document.head.prepend(base);
  try {
    out.relative = tryNew(`events?${sidQuery}`);
    out.dotdot = tryNew(`../sse/./events?${sidQuery}#frag`);
    out.absolutePath = tryNew(`/sse/events?${sidQuery}`);
  } finally {
    base.remove();
  }
  out.afterBaseRemoved = tryNew(`x?${sidQuery}`);
  out.invalid = tryNew('http://[::1');
  out.invalidPort = tryNew('http://127.0.0.1:99999/');
  out.object = tryNew({ toString: () => `/sse/events?${sidQuery}&obj=1` });
  out.urlObject = tryNew(new URL(`/sse/events?${sidQuery}&u=1`, location.href));
  out.number = tryNew(42);
  out.nul = tryNew(null);
  out.undef = tryNew(undefined);
  out.symbol = tryNew(Symbol('s'));
  out.spaces = tryNew(`  /sse/events?${sidQuery}&a=b c  `);
  out.otherScheme = tryNew('ftp://127.0.0.1/x');
  out.throwingToString = tryNew({ toString() { throw new RangeError('nope'); } });
  await sleep(0);
  return out;
}

// Stopping the page's loads (window.stop(), a stopped navigation, the browser's stop
// button) affects every source of the page at once, so these cases run the native source
// and polysse's together in three steps: stopStart opens both and resolves once both
// reached the moment to stop (when: 'requested', the server logged both requests; 'open',
// both opened; 'error', both fired their first error event); the Node side then stops the
// page (window.stop() through stopAct, or CDP); stopFinish waits settle ms and resolves
// with both records, as trace() records them.
let stopRun = null;

export async function stopStart(api, urls, { when, logURLs = [], timeout = 8000 }) {
  const recs = [];
  const reached = [];
  const sources = [];
  for (const [i, Impl] of [api.NativeEventSource, api.EventSource].entries()) {
    const rec = { events: [], closes: [], timedOut: false };
    const es = new Impl(urls[i]);
    rec.initialState = es.readyState;
    rec.url = es.url;
    let fire;
    reached.push(new Promise((r) => { fire = r; }));
    const onEvent = (e) => {
      rec.events.push(describeEvent(es, e));
      if (e.type === when) fire();
    };
    for (const t of ['open', 'message', 'error']) es.addEventListener(t, onEvent);
    es.addEventListener('close', (e) => {
      rec.closes.push({ reason: e.reason, fatal: e.fatal, status: e.status, isLocal: e.isLocal, message: e.message, readyState: es.readyState });
    });
    recs.push(rec);
    sources.push(es);
  }
  const waits = when === 'requested'
    ? logURLs.map((u) => fetch(`${u}&min=1&wait=5000`))
    : reached;
  const ok = await Promise.race([Promise.all(waits).then(() => true), sleep(timeout).then(() => false)]);
  stopRun = { recs, sources };
  recs.forEach((r, i) => { r.stateAtStop = sources[i].readyState; r.timedOut = !ok; });
  return ok;
}

// stopAct does what the case needs from inside the page: 'stop' calls window.stop();
// 'navigate' starts a navigation to url (which the server holds) without waiting for it,
// and with stopAfter, calls window.stop() that many ms later (from here: a page that is
// navigating takes no more evaluations from the test).
export function stopAct(action, url, stopAfter = -1) {
  if (action === 'stop') window.stop();
  else if (action === 'navigate') location.href = url;
  if (stopAfter >= 0) setTimeout(() => window.stop(), stopAfter);
}

export async function stopFinish({ settle = 800 } = {}) {
  await sleep(settle);
  const { recs, sources } = stopRun;
  stopRun = null;
  recs.forEach((r, i) => {
    r.finalState = sources[i].readyState;
    sources[i].close();
  });
  return recs;
}
