// The blob server's storage under weight: how long a start takes with 100,000 stored blobs (warm-up reads every
// record's header to rebuild usage, counts and the index before listening), and whether memory stays flat while
// 32 clients upload and download 10 MiB blobs (bodies are streamed, never held whole: buffering them would cost
// 32 × 10 MiB = 320 MiB).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { defineScenario, type Row, type ScenarioContext } from '../lib/index.js';

const SERVER = 'services/blob-server/src/server.ts';
const CONNECTIONS = 32;
/** uploads at once while filling a data folder */
const FILL_CONNECTIONS = 32;
const LARGE_BYTES = 10 * 1024 * 1024;

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]) / 1024;
}

interface Start {
  /** spawn to /ready answering 200 */
  toReadyMs: number;
  /** the store's warm-up alone, as the server logs it */
  warmUpMs: number;
}

/** Starts a blob server on `dataDir`, times it, and stops it. */
async function timeStart(ctx: ScenarioContext, name: string, dataDir: string): Promise<Start> {
  const port = await ctx.freePort();
  const started = performance.now();
  const server = await ctx.startProcess({
    name,
    script: SERVER,
    env: { PORT: String(port), HOST: '127.0.0.1', NODE_NAME: 'bench', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
    waitFor: `http://127.0.0.1:${port}/ready`,
    waitTimeoutMs: 120_000,
  });
  const toReadyMs = performance.now() - started;
  await server.stop();
  const warmUpMs = Number(/"message":"warm-up done".*?"ms":(\d+)/.exec(server.output())?.[1]);
  if (!Number.isFinite(warmUpMs)) throw new Error(`${name} logged no warm-up time: ${server.output()}`);
  return { toReadyMs, warmUpMs };
}

/**
 * Fills `dataDir` with `count` blobs of `bytes` each through a blob server's HTTP API (fsync off, so the fill is
 * quick), so the records are exactly what a server writes; the server is stopped before the timed starts.
 */
async function fill(ctx: ScenarioContext, dataDir: string, count: number, bytes: number): Promise<void> {
  const port = await ctx.freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = await ctx.startProcess({
    name: 'blob-server-fill',
    script: SERVER,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_NAME: 'bench',
      DATA_DIR: dataDir,
      FSYNC: 'false',
      LOG_LEVEL: 'warn',
    },
    waitFor: `${base}/ready`,
  });
  const body = Buffer.alloc(bytes, 'x');
  const headers = { 'content-type': 'application/octet-stream', 'x-rebase-fill': 'yes' };
  let next = 0;
  const uploader = async () => {
    for (let index = next++; index < count; index = next++) {
      const response = await fetch(`${base}/blobs/blob-${index}`, { method: 'PUT', body, headers });
      await response.arrayBuffer();
      if (response.status !== 201) throw new Error(`filling: PUT blob-${index} answered ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: FILL_CONNECTIONS }, uploader));
  const metrics = await (await fetch(`${base}/metrics`)).text();
  const stored = Number(/^blob_count (\d+)$/m.exec(metrics)?.[1]);
  await server.stop();
  if (stored !== count) throw new Error(`filling: the server holds ${stored} blobs, not ${count}`);
}

/** What an operator would run to learn the same usage: `du -sb`, which stats every file. */
async function timeDu(dataDir: string): Promise<number> {
  const started = performance.now();
  await promisify(execFile)('du', ['-sb', dataDir]);
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function measureStart(ctx: ScenarioContext): Promise<Row[]> {
  const blobs = ctx.smoke ? 2_000 : 100_000;
  const fullDir = await ctx.tempDir('full-');
  const empty = await ctx.tempDir('empty-');
  ctx.log(`storing ${blobs.toLocaleString('en-US')} blobs of 1 KiB`);
  await fill(ctx, fullDir, blobs, 1024);

  const full: Start[] = [];
  const emptyStarts: Start[] = [];
  const du: number[] = [];
  for (let round = 0; round < (ctx.smoke ? 1 : 3); round += 1) {
    emptyStarts.push(await timeStart(ctx, 'blob-server-empty', empty));
    full.push(await timeStart(ctx, 'blob-server-full', fullDir));
    du.push(await timeDu(fullDir));
  }
  const count = blobs.toLocaleString('en-US');
  return [
    {
      case: `warm-up of ${count} blobs (vs du -sb of the same folder)`,
      metric: 'ms',
      project: median(full.map((start) => start.warmUpMs)),
      baseline: median(du),
      higherIsBetter: false,
    },
    {
      case: `spawn to /ready with ${count} blobs (vs empty)`,
      metric: 'ms',
      project: median(full.map((start) => start.toReadyMs)),
      baseline: median(emptyStarts.map((start) => start.toReadyMs)),
      higherIsBetter: false,
    },
  ];
}

async function measureMemory(ctx: ScenarioContext): Promise<Row[]> {
  const port = await ctx.freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = await ctx.startProcess({
    name: 'blob-server',
    script: SERVER,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_NAME: 'bench',
      DATA_DIR: await ctx.tempDir('large-'),
      MAX_LENGTH: '11MiB',
      MAX_DISK_QUOTA: '200GiB',
      LOG_LEVEL: 'warn',
    },
    waitFor: `${base}/ready`,
  });
  const body = Buffer.alloc(LARGE_BYTES, 'y');
  await (await fetch(`${base}/blobs/large`, { method: 'PUT', body })).arrayBuffer();
  const idle = await rssMiB(server.pid);

  const peakDuring = async (load: () => Promise<unknown>) => {
    let peak = 0;
    const sampler = setInterval(() => {
      void rssMiB(server.pid).then((rss) => (peak = Math.max(peak, rss)));
    }, 50);
    try {
      await load();
    } finally {
      clearInterval(sampler);
    }
    return peak;
  };
  // A 10 MiB transfer takes a while on a loaded machine: smoke runs get a few seconds to finish some, and fewer
  // transfers at a time, since another scenario may share the machine (pnpm bench --smoke runs two at once): 32
  // uploads of 10 MiB at once could then finish none in those seconds, and the smoke would show nothing.
  const duration = ctx.smoke ? 3 : Math.min(ctx.durationSeconds, 10);
  const connections = ctx.smoke ? 8 : CONNECTIONS;
  ctx.log(
    `PUT and GET of 10 MiB blobs, ${connections} connections, ${duration} s each; idle RSS ${idle.toFixed(0)} MiB`,
  );
  const putPeak = await peakDuring(() =>
    ctx.loadTest({
      url: `${base}/blobs/upload`,
      method: 'PUT',
      body,
      uniquePaths: true,
      connections,
      durationSeconds: duration,
      timeoutSeconds: 60,
    }),
  );
  const getPeak = await peakDuring(() =>
    ctx.loadTest({
      url: `${base}/blobs/large`,
      connections,
      durationSeconds: duration,
      timeoutSeconds: 60,
    }),
  );
  return [
    {
      case: 'RSS during PUT of 10 MiB blobs (vs idle)',
      metric: 'MiB',
      project: putPeak,
      baseline: idle,
      higherIsBetter: false,
    },
    {
      case: 'RSS during GET of 10 MiB blobs (vs idle)',
      metric: 'MiB',
      project: getPeak,
      baseline: idle,
      higherIsBetter: false,
    },
  ];
}

export default defineScenario({
  name: 'blob-storage',
  description: `Start-up (warm-up) time with 100,000 stored 1 KiB blobs; peak RSS while ${CONNECTIONS} connections PUT and GET 10 MiB blobs.`,
  baseline:
    '`du -sb` of the same folder; the same server starting on an empty DATA_DIR; the same process idle, before the load.',
  async run(ctx) {
    return [...(await measureStart(ctx)), ...(await measureMemory(ctx))];
  },
});
