// wrk (the C load generator, Debian's `wrk`) as a second load client. autocannon parses every response in
// JavaScript and tops out around 40 MB/s here, so for bodies of 64 KiB and more it measures itself, not the
// server (1 MiB GETs: autocannon 55 req/s, wrk 409 req/s against the same server). Scenarios that move large
// bodies choose `client: 'wrk'` when it is installed (wrkPath()).
//
// wrk reports latency quantiles, not samples: each run contributes 1,000 evenly spaced quantiles, so the
// percentiles of several rounds together are those of the rounds' pooled distributions, weighted per round.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RawRun, Target } from './load-test.js';

const WRK = '/usr/bin/wrk';
const SCRIPT = fileURLToPath(new URL('./wrk.lua', import.meta.url));

export function wrkPath(): string | undefined {
  return existsSync(WRK) ? WRK : undefined;
}

export async function runWrk(target: Target, durationSeconds: number): Promise<RawRun> {
  const dir = await mkdtemp(join(tmpdir(), 'wrk-'));
  try {
    const bodyFile = target.body === undefined ? '' : join(dir, 'body');
    if (target.body !== undefined) await writeFile(bodyFile, target.body);
    const url = new URL(target.url);
    const headers = Object.entries(target.headers ?? {}).map(([name, value]) => `${name}: ${value}`);
    const args = [
      '-t1',
      `-c${target.connections ?? 10}`,
      `-d${Math.max(1, Math.round(durationSeconds))}s`,
      `--timeout`,
      `${target.timeoutSeconds ?? 10}s`,
      '-s',
      SCRIPT,
      `${url.origin}/`,
      '--',
      target.method ?? 'GET',
      url.pathname + url.search,
      target.uniquePaths ? '1' : '0',
      bodyFile,
      target.randomKey?.token ?? '',
      String(target.randomKey?.below ?? 0),
      ...headers,
    ];
    const { stdout } = await promisify(execFile)(WRK, args, { maxBuffer: 1 << 22 });
    return parse(stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function parse(stdout: string): RawRun {
  const summary = /^WRK_SUMMARY (\d+) (\d+) (\d+) (\d+) (\d+)$/m.exec(stdout);
  const quantiles = /^WRK_QUANTILES (.*)$/m.exec(stdout);
  if (!summary || !quantiles) throw new Error(`wrk printed no summary:\n${stdout}`);
  const [requests, micros, status, errors, timeouts] = summary.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const ok = requests - status;
  return {
    latencies: Float64Array.from((quantiles[1] ?? '').split(' ').map((us) => Number(us) / 1000)),
    ok,
    non2xx: status,
    errors,
    timeouts,
    seconds: micros / 1e6,
    statusCodes: status > 0 ? { 'non-2xx': status } : {},
  };
}
