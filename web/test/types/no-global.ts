// Without the opt-in global declarations, the global EventSource stays the DOM's: its
// options are EventSourceInit's.
export function withoutOptIn(): void {
  new EventSource('/events', { withCredentials: true });
  // @ts-expect-error: method is polysse's extension; the DOM's EventSource has none
  new EventSource('/events', { method: 'POST' });
  // @ts-expect-error: restart is polysse's extension; the DOM's EventSource has none
  new EventSource('/events').restart();
}
