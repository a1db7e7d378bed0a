// A graceful stop loses no line: closeLogger resolves only once every line logged before it has left the process,
// even when stdout is a pipe whose reader is slow (the lines then wait in the process, behind a full pipe, and
// process.exit would drop them).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const script = fileURLToPath(new URL('fixtures/log-close-exit.ts', import.meta.url));

async function run(lines: number, bytes: number, fill = false): Promise<number[]> {
  const child = spawn(process.execPath, ['--import', tsx, script], {
    env: { ...process.env, LINES: String(lines), BYTES: String(bytes), ...(fill ? { FILL: '1' } : {}) },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ended = new Promise((resolve) => child.stdout.once('end', resolve));
  // A reader that falls behind: nothing is read until the child has had time to fill the pipe. The 'data'
  // listener comes first: a child that exits while its stdout has none gets that stream drained and dropped by
  // Node (child_process flushes unread stdio on exit), and the lines would never reach this reader.
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stdout.pause();
  await sleep(1_000);
  child.stdout.resume();
  await ended;
  expect(await exited).toBe(0);
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { i: number }).i);
}

describe('closeLogger before process.exit', () => {
  it.each([
    [700, 100], // a little more than a pipe holds
    [2_000, 100],
    [200, 4_000],
    [3_000, 1_000],
  ])(
    'keeps all %i lines of %i bytes when stdout is a slow pipe',
    async (lines, bytes) => {
      expect(await run(lines, bytes)).toEqual(Array.from({ length: lines }, (_, i) => i));
    },
    30_000, // a child process that starts tsx, on a machine that may be busy
  );

  it.each([1, 10])(
    'keeps %i lines logged behind a full pipe and a small queue in the process',
    async (lines) => {
      expect(await run(lines, 100, true)).toEqual(Array.from({ length: lines }, (_, i) => i));
    },
    30_000,
  );
});
