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

/**
 * Runs `task` each time `wake` is called, never twice at once: a wake during a run makes one
 * more run after it, so nothing woken for is missed. `idle` resolves when no run is left.
 */
export function runWhenWoken(task: () => Promise<void>, onError: (error: unknown) => void): { wake(): void; idle(): Promise<void> } {
  let running: Promise<void> | null = null;
  let isWokenAgain = false;
  function wake(): void {
    if (running) {
      isWokenAgain = true;
      return;
    }
    isWokenAgain = false;
    running = task()
      .catch(onError)
      .finally(() => {
        running = null;
        if (isWokenAgain) wake();
      });
  }
  return {
    wake,
    async idle() {
      while (running) await running;
    },
  };
}
