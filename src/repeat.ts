/**
 * Runs `task` every `intervalSeconds` (never when 0) until the returned function is called.
 * A failure goes to `onError` and the task runs again at the next interval; runs never
 * overlap, and the timer never keeps the process alive on its own.
 */
export function repeatEvery(intervalSeconds: number, task: () => Promise<void>, onError: (error: unknown) => void): () => void {
  if (intervalSeconds === 0) return () => undefined;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch(onError)
      .finally(() => (running = false));
  }, intervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
