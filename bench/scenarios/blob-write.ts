// One blob server against nginx WebDAV: PUT of new blobs and GET of a stored one, at 4 KiB, 64 KiB and 1 MiB,
// 32 connections. The blob server runs as `pnpm start` runs it, with FSYNC on: every PUT is acknowledged only
// after fsync of the file and of its folder. nginx (Debian's package, one worker) writes a temp file and
// renames it, without fsync, and serves GETs with sendfile. So the PUT rows compare a durable store with a
// merely atomic one; the FSYNC=false rows show what durability costs here.
//
// The load comes from wrk when it is installed: autocannon cannot take in more than about 40 MB/s here, which
// would cap both sides' 64 KiB and 1 MiB rows at the client's speed.
//
// What fsync costs is bounded by the disk, not by either server: the last rows read the FSYNC-on PUT of 4 KiB
// against the disk's own rate of synchronous 4 KiB writes, measured in the same run in the same temporary
// folder, once with one writer (`dd oflag=dsync`, each write waits for the one before) and, when fio is
// installed, with as many writers as the load has connections, each write followed by fdatasync, as a PUT's
// is. A PUT waits for two syncs (the record's data, then its folder's entry), so with one writer it could reach
// only half the dd figure; concurrent PUTs share journal commits and can pass it.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import {
  defineScenario,
  loadRows,
  startBlobServer,
  wrkPath,
  type Row,
  type ScenarioContext,
} from '../lib/index.js';

const NGINX = '/usr/sbin/nginx';
const FIO = '/usr/bin/fio';
const run = promisify(execFile);
const CONNECTIONS = 32;
const SIZES = [
  { label: '4 KiB', bytes: 4 * 1024 },
  { label: '64 KiB', bytes: 64 * 1024 },
  { label: '1 MiB', bytes: 1024 * 1024 },
];

async function startNginx(ctx: ScenarioContext): Promise<string> {
  const port = await ctx.freePort();
  const url = `http://127.0.0.1:${port}`;
  await ctx.startProcess({
    name: 'nginx-webdav',
    script: 'bench/fixtures/nginx-webdav.ts',
    env: { PORT: String(port), DATA_DIR: await ctx.tempDir('nginx-') },
    waitFor: `${url}/ready`,
  });
  return url;
}

/** Synchronous 4 KiB writes per second, one after another, each extending a new file (dd oflag=dsync). */
async function ddSyncWritesPerSecond(dir: string, count: number): Promise<number> {
  const started = performance.now();
  await run('dd', ['if=/dev/zero', `of=${dir}/dd-floor`, 'bs=4k', `count=${count}`, 'oflag=dsync']);
  return count / ((performance.now() - started) / 1000);
}

/** 4 KiB appends per second by `jobs` writers at once, each write followed by fdatasync (fio). */
async function fioSyncWritesPerSecond(dir: string, jobs: number, seconds: number): Promise<number> {
  const { stdout } = await run(FIO, [
    '--name=floor',
    `--directory=${dir}`,
    '--rw=write',
    '--bs=4k',
    '--size=64m',
    '--fallocate=none',
    `--numjobs=${jobs}`,
    '--fdatasync=1',
    '--group_reporting',
    '--time_based',
    `--runtime=${Math.max(1, Math.round(seconds))}`,
    '--output-format=json',
  ]);
  const report = JSON.parse(stdout) as { jobs: Array<{ write: { iops: number } }> };
  const iops = report.jobs[0]?.write.iops;
  if (iops === undefined) throw new Error(`fio reported no write rate:\n${stdout}`);
  return iops;
}

/** Both servers must store and return the same bytes before their speed is compared. */
async function put(url: string, body: Buffer): Promise<void> {
  const stored = await fetch(url, { method: 'PUT', body });
  await stored.arrayBuffer();
  if (stored.status >= 300) throw new Error(`PUT ${url} answered ${stored.status}`);
  const read = Buffer.from(await (await fetch(url)).arrayBuffer());
  if (!read.equals(body)) throw new Error(`GET ${url} did not return the bytes stored`);
}

export default defineScenario({
  name: 'blob-write',
  description: `PUT (a new id each time) and GET of 4 KiB, 64 KiB and 1 MiB blobs on one blob server, FSYNC on, ${CONNECTIONS} connections (wrk).`,
  baseline:
    'nginx WebDAV (Debian nginx, dav_methods PUT DELETE, 1 worker, no fsync, sendfile) on the same machine.',
  async run(ctx) {
    if (!existsSync(NGINX)) ctx.skip(`${NGINX} is not installed (apt-get install nginx)`);
    const [blobs, nginx, blobsNoFsync] = await Promise.all([
      startBlobServer(ctx, { name: 'blob-server', fsync: true }),
      startNginx(ctx),
      startBlobServer(ctx, { name: 'blob-server-nofsync', fsync: false }),
    ]);
    const client: 'wrk' | 'autocannon' = wrkPath() ? 'wrk' : 'autocannon';
    if (client === 'autocannon')
      ctx.warn('wrk is not installed (apt-get install wrk): rows of 64 KiB and more measure autocannon');
    ctx.log(`load client: ${client}`);
    const measured: Row[] = [];
    const compare = async (
      label: string,
      request: { path: string; method: 'GET' | 'PUT'; body?: Buffer },
      against = nginx,
    ) => {
      ctx.log(`${label}: ${ctx.durationSeconds} s per side in alternating rounds`);
      const target = (base: string) => ({
        url: `${base}${request.path}`,
        method: request.method,
        connections: CONNECTIONS,
        client,
        uniquePaths: request.method === 'PUT',
        ...(request.body
          ? { body: request.body, headers: { 'content-type': 'application/octet-stream' } }
          : {}),
      });
      const { project, baseline } = await ctx.compareLoad({
        label,
        project: target(label.includes('FSYNC=false') ? blobsNoFsync : blobs),
        baseline: target(against),
        rounds: ctx.smoke ? 2 : 4,
        warmupSeconds: ctx.smoke ? 0 : 1,
      });
      measured.push(...loadRows(label, { project, baseline }, ['req/s', 'p99 ms']));
    };

    // Smoke runs only prove the scenario works: one size is enough for that.
    const sizes = ctx.smoke ? SIZES.slice(0, 1) : SIZES;
    for (const { label, bytes } of sizes) {
      const body = randomBytes(bytes);
      await compare(`PUT ${label}`, { path: `/blobs/put-${bytes}`, method: 'PUT', body });
      await Promise.all([blobs, nginx].map((base) => put(`${base}/blobs/get-${bytes}`, body)));
      await compare(`GET ${label}`, { path: `/blobs/get-${bytes}`, method: 'GET' });
    }
    // What fsync costs: the same PUTs with FSYNC=false, against the same nginx.
    for (const { label, bytes } of sizes) {
      const body = randomBytes(bytes);
      await compare(`PUT ${label} (FSYNC=false)`, { path: `/blobs/put-${bytes}`, method: 'PUT', body });
    }

    // The disk's floor for the FSYNC-on PUT of 4 KiB, measured now on the file system the servers use.
    const putWithFsync = measured.find((row) => row.case === 'PUT 4 KiB' && row.metric === 'req/s');
    if (putWithFsync !== undefined) {
      const floorDir = await ctx.tempDir('sync-floor-');
      const dd = await ddSyncWritesPerSecond(floorDir, ctx.smoke ? 50 : 1000);
      ctx.log(`dd oflag=dsync: ${Math.round(dd)} synchronous 4 KiB writes/s, one writer`);
      measured.push({
        case: 'PUT 4 KiB (FSYNC on) vs 4 KiB dsync writes, 1 writer (dd)',
        metric: 'req/s',
        project: putWithFsync.project,
        baseline: dd,
        higherIsBetter: true,
      });
      if (existsSync(FIO)) {
        const fio = await fioSyncWritesPerSecond(floorDir, CONNECTIONS, ctx.durationSeconds);
        ctx.log(`fio: ${Math.round(fio)} 4 KiB writes + fdatasync/s, ${CONNECTIONS} writers`);
        measured.push({
          case: `PUT 4 KiB (FSYNC on) vs 4 KiB write + fdatasync, ${CONNECTIONS} writers (fio)`,
          metric: 'req/s',
          project: putWithFsync.project,
          baseline: fio,
          higherIsBetter: true,
        });
      } else {
        ctx.warn(`${FIO} is not installed (apt-get install fio): no concurrent sync-write floor`);
      }
    }
    return measured;
  },
});
