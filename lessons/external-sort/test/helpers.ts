import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll } from 'vitest';
import { lessonCommand, rootDir } from '../../testing/lesson-process.js';

export { lessonCommand, rootDir } from '../../testing/lesson-process.js';

const scratchDirs: string[] = [];
// Registered when a test file imports this module, so it runs after that file's tests.
afterAll(() => Promise.all(scratchDirs.map((dir) => rm(dir, { recursive: true, force: true }))));

/** A fresh folder, removed after the test file. */
export async function scratchDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'external-sort-test-'));
  scratchDirs.push(dir);
  return dir;
}

/** The reference: GNU sort in the C locale (plain byte order). */
export async function gnuSort(input: string, output: string, unique = false): Promise<void> {
  const args = [...(unique ? ['-u'] : []), '-o', output, input];
  await promisify(execFile)('/usr/bin/sort', args, { env: { ...process.env, LC_ALL: 'C' } });
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs one of the lesson's CLIs as `pnpm <script>` does. */
export function startCli(script: 'lesson:sort' | 'lesson:gen-lines', args: string[]) {
  const child = spawn(process.execPath, [...lessonCommand(script), ...args], {
    cwd: rootDir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, done };
}

export function runCli(script: 'lesson:sort' | 'lesson:gen-lines', args: string[]): Promise<CliResult> {
  return startCli(script, args).done;
}
