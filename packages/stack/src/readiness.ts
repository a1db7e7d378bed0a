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
      lastProblem = describeFailure(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${target.name} was not ready after ${timeoutMs / 1000} s (${lastProblem})`);
}

// fetch() says only "fetch failed"; the reason (nothing listening yet, a timeout) is in its cause.
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string } | undefined;
  if (cause?.code === 'ECONNREFUSED') return 'nothing is listening on its port yet';
  if (error.name === 'TimeoutError') return '/ready did not answer within 2 s';
  return cause?.code ? `${error.message} (${cause.code})` : error.message;
}
