import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const script = fileURLToPath(new URL('fixtures/log-and-exit.ts', import.meta.url));

async function run(exit: string, lines: number): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, ['--import', tsx, script], {
    env: { ...process.env, EXIT: exit, LINES: String(lines) },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stdout };
}

function loggedIndexes(stdout: string): number[] {
  return stdout
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { i: number }).i);
}

describe('stdout batching', () => {
  // Lines leave in batches, so the way out must still carry every one of them, in order.
  it.each([
    ['the event loop empties', 'return', 0],
    ['process.exit() runs right after logging', 'exit', 0],
    ['an uncaught exception ends the process', 'throw', 1],
  ])('keeps every line when %s', async (_what, exit, expectedCode) => {
    const lines = 5000;
    const { code, stdout } = await run(exit, lines);

    expect(code).toBe(expectedCode);
    expect(loggedIndexes(stdout)).toEqual(Array.from({ length: lines }, (_, i) => i));
  });
});
