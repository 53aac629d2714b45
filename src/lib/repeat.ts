/**
 * Calls `fn` `firstMs` from now and every `intervalMs` after that, until the returned function is
 * called. Each call is timed from the start on the monotonic clock, not from the call before, so
 * lateness does not add up: repeats started together keep their phase to one another for as long
 * as they run, which the group commit relies on (app.ts, COMMIT_AFTER_POLL). Calls that fell due
 * while the event loop was blocked come as one call when it is free; the next is at its own time.
 */
export function repeat(intervalMs: number, fn: () => void, firstMs = intervalMs): () => void {
  let due = performance.now() + firstMs;
  const run = (): void => {
    const now = performance.now();
    due += intervalMs;
    if (due < now) due += Math.ceil((now - due) / intervalMs) * intervalMs;
    timer = setTimeout(run, due - now);
    fn();
  };
  let timer = setTimeout(run, firstMs);
  return () => clearTimeout(timer);
}
