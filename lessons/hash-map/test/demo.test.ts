import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const rootDir = fileURLToPath(new URL('../../../', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the demo as `pnpm lesson:hash-map` does, and resolves with its exit code whatever it is. */
async function demo(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['lessons/hash-map/dist/demo.js', ...args],
      { cwd: rootDir },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

// Each run starts a Node process: seconds on a busy machine. The runs share nothing, so they go side
// by side, and one's start-up does not wait for the last one's.
describe.concurrent('the demo', { timeout: 60_000 }, () => {
  it.each([
    ['fnv1a', 'sequential'],
    ['md5', 'words'],
    ['fnv1a', 'random'],
  ])('prints bucket statistics (--hash %s --pattern %s)', async (hash, pattern) => {
    const { code, stdout, stderr } = await demo('--hash', hash, '--pattern', pattern, '--keys', '2000');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`2,000 ${pattern} keys`);
    expect(stdout).toContain(`hash ${hash}`);
    // 2,000 keys pass 0.75 × 2,048 buckets, so the map has grown to 4,096.
    expect(stdout).toMatch(/^buckets: +4,096$/m);
    expect(stdout).toMatch(/^load factor: +0\.488$/m);
    expect(stdout).toMatch(/^empty buckets: +[\d,]+ \([\d.]+ %; ideal hash [\d.]+ %\)$/m);
    expect(stdout).toMatch(/^longest chain: +\d+$/m);
    expect(stdout).toMatch(/^mean chain length: +[\d.]+ in non-empty buckets/m);
    expect(stdout).toMatch(/^ +0 +[\d,]+ +[\d,]+ +#+$/m);
    expect(stdout).toMatch(/^ +8\+ +[\d,]+ +[\d,]+ *#*$/m);
    expect(stdout).toMatch(/^put every key: +[\d.]+ ms/m);
    expect(stdout).toMatch(/^get every key: +[\d.]+ ms/m);
  });

  it.each([
    [['--hash', 'sha1'], '--hash must be fnv1a or md5, got "sha1"'],
    [['--pattern', 'zigzag'], '--pattern must be sequential, random or words'],
    [['--keys', 'many'], '--keys must be an integer from 1 to 10,000,000, got "many"'],
    [['--keys', '0'], '--keys must be an integer'],
    [['--keys', '1e3'], '--keys must be an integer from 1 to 10,000,000, got "1e3"'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('rejects %j with a message and exit code 2', async (args, message) => {
    const { code, stdout, stderr } = await demo(...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(stderr).toContain('usage: pnpm lesson:hash-map');
  });
});
