// Both ends of a fixture server (a script in bench/fixtures/ that a scenario measures or compares against): how a
// scenario starts one on a free port and waits until it answers, and how the script stops when the harness
// sends SIGTERM (or Ctrl-C sends SIGINT).
import type { ScenarioContext } from './scenario.js';

export interface FixtureOptions {
  /** the process's name in messages */
  name: string;
  /** the script, from the repository's root */
  script: string;
  /** added to its environment; PORT is set here */
  env?: Record<string, string>;
  /** polled until it answers; default `/ready` */
  readyPath?: string;
}

/** Starts a fixture on 127.0.0.1 and a free port; resolves with its base URL once `readyPath` answers. */
export async function startFixture(ctx: ScenarioContext, options: FixtureOptions): Promise<string> {
  const port = await ctx.freePort();
  const url = `http://127.0.0.1:${port}`;
  await ctx.startProcess({
    name: options.name,
    script: options.script,
    env: { ...options.env, PORT: String(port) },
    waitFor: `${url}${options.readyPath ?? '/ready'}`,
  });
  return url;
}

/** In a fixture script: on SIGTERM or SIGINT, runs `close` and exits, 0 if it resolved, 1 if it rejected. */
export function exitOnSignals(close: () => Promise<unknown>): void {
  const stop = () => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
