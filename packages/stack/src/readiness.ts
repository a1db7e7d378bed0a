// Waits until a service's /ready answers 200, giving up when the service exits or the deadline passes.
export interface ReadyTarget {
  name: string;
  url: string;
  exited: Promise<number | null>;
}

export async function waitUntilReady(target: ReadyTarget, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void target.exited.then((code) => {
    exitCode = code;
  });
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`${target.name} exited with code ${String(exitCode)} before it was ready`);
    }
    try {
      const response = await fetch(`${target.url}/ready`, { signal: AbortSignal.timeout(2000) });
      const body = await response.text();
      if (response.status === 200) return;
      lastProblem = `/ready answered ${response.status}: ${body.slice(0, 300)}`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${target.name} was not ready after ${timeoutMs / 1000} s (${lastProblem})`);
}
