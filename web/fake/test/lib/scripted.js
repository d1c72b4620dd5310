// A scripted in-process server behind a fetch function: every call is one attempt, answered
// with a streaming Response whose body the test writes (send), ends cleanly (end) or breaks
// with a network error (drop). No socket, no timer: the body moves only when the test says.

const encoder = new TextEncoder();

/**
 * scripted(handler) returns { fetch, requests }. handler(req) runs synchronously for each
 * attempt before the Response is returned; it may write to the body, end or drop it, or
 * return { status, headers, reject } to answer differently (reject: the fetch call itself
 * rejects with a TypeError, as a refused connection does).
 */
export function scripted(handler = () => {}) {
  const requests = [];
  async function fetch(input, init = {}) {
    let controller;
    const body = new ReadableStream({
      start(c) { controller = c; },
      cancel() { req.cancelled = true; },
    });
    const req = {
      attempt: requests.length + 1,
      url: String(input),
      method: init.method ?? 'GET',
      headers: new Headers(init.headers),
      signal: init.signal,
      aborted: false,
      cancelled: false,
      closed: false,
      send(text) { if (!req.closed) controller.enqueue(encoder.encode(text)); },
      end() { if (!req.closed) { req.closed = true; controller.close(); } },
      drop() { if (!req.closed) { req.closed = true; controller.error(new TypeError('network error (scripted drop)')); } },
    };
    requests.push(req);
    if (init.signal) {
      const onAbort = () => {
        req.aborted = true;
        if (!req.closed) { req.closed = true; controller.error(init.signal.reason); }
      };
      if (init.signal.aborted) onAbort();
      else init.signal.addEventListener('abort', onAbort, { once: true });
    }
    const answer = handler(req) ?? {};
    if (answer.reject) throw new TypeError('fetch failed (scripted)');
    const status = answer.status ?? 200;
    const headers = answer.headers ?? { 'content-type': 'text/event-stream' };
    return new Response(status === 204 ? null : body, { status, headers });
  }
  return { fetch, requests };
}

/** record(es) returns an array that collects what the source reports, as short strings. */
export function record(es) {
  const log = [];
  es.addEventListener('open', () => log.push('open'));
  es.addEventListener('message', (e) => log.push(`message:${e.data}`));
  es.addEventListener('error', (e) => log.push(`error:${es.readyState}:${e.retryIn ?? '-'}`));
  es.addEventListener('close', (e) => log.push(`close:${e.reason}`));
  return log;
}
