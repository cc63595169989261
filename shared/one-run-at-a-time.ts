/**
 * Wraps a task so it runs one run at a time. A call made while a run is in progress gets a fresh run
 * that starts after it, one shared by every call made meanwhile: each caller's run began after its
 * call (so it sees what the caller changed), and a burst of calls costs two runs, not one each.
 */
export function oneRunAtATime(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  const start = (): Promise<void> => {
    const current = run().finally(() => {
      if (running === current) running = null;
    });
    running = current;
    return current;
  };
  return () => {
    // Between a run's end and the start of the one queued after it, a call joins the queued one.
    if (!running && !next) return start();
    next ??= running!
      .catch(() => {})
      .then(() => {
        next = null;
        return start();
      });
    return next;
  };
}
