// Runs an async task once after a burst of triggers, never two runs at a time: a trigger during a
// run schedules one more run after it. For settings changes: the Settings editor writes a number
// as it is typed ("0", "0.", "0.2", "0.25"), and each write would otherwise restart the daemon,
// the restarts overlapping (two clients starting at once, the last daemon started with a value
// typed halfway).
export function coalesce(task: () => Promise<void>, delayMs: number, onError: (err: unknown) => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  const run = async (): Promise<void> => {
    timer = undefined;
    if (running) {
      again = true;
      return;
    }
    running = task().catch(onError);
    await running;
    running = undefined;
    if (again) {
      again = false;
      await run();
    }
  };
  return () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void run(), delayMs);
  };
}
