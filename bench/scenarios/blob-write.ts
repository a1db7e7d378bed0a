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
//
// Every blob server first stores blobs for a few seconds, unmeasured, so that its 4,096 record folders exist, as
// they do on any node after its first few tens of thousands of blobs: a new node's first record in each folder
// also creates and syncs the folder, a cost paid once per folder in a node's life, which nginx (one flat folder)
// never pays and which would otherwise weigh on the PUT rows of a new server.
//
// Two more comparisons put the numbers in context:
// - the ceiling: Node's bare `http` server (fixtures/bare-blob-server.ts) answering the 4 KiB GET from memory,
//   streaming the 1 MiB one from its file, and storing the 4 KiB PUT as a temp file renamed into place, against
//   nginx: the most any Node blob server could reach here;
// - libuv's thread pool, which runs the blob server's file calls (opens, writes, syncs, renames, reads of large
//   bodies): the FSYNC-on PUT and the largest GET on a server with UV_THREADPOOL_SIZE=16 against the same server
//   with Node's default of 4.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import {
  defineScenario,
  loadRows,
  nginxPath,
  startBlobServer,
  startFixture,
  wrkPath,
  type Row,
} from '../lib/index.js';

const FIO = '/usr/bin/fio';
const run = promisify(execFile);
const CONNECTIONS = 32;
/** Seconds of unmeasured PUTs that fill a server's 4,096 record folders (at least ~20,000 blobs here). */
const FILL_SECONDS = 10;
const LARGER_THREAD_POOL = 16;
const SMALL = { label: '4 KiB', bytes: 4 * 1024 };
const SIZES = [SMALL, { label: '64 KiB', bytes: 64 * 1024 }, { label: '1 MiB', bytes: 1024 * 1024 }];

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
    if (!nginxPath()) ctx.skip('nginx is not installed (apt-get install nginx)');
    const [blobs, nginx, blobsNoFsync, blobsPool16, bareBlobServer] = await Promise.all([
      startBlobServer(ctx, { name: 'blob-server', fsync: true }),
      startFixture(ctx, {
        name: 'nginx-webdav',
        script: 'bench/fixtures/nginx-webdav.ts',
        env: { DATA_DIR: await ctx.tempDir('nginx-') },
      }),
      startBlobServer(ctx, { name: 'blob-server-nofsync', fsync: false }),
      startBlobServer(ctx, {
        name: 'blob-server-pool16',
        fsync: true,
        env: { UV_THREADPOOL_SIZE: String(LARGER_THREAD_POOL) },
      }),
      startFixture(ctx, {
        name: 'bare-blob-server',
        script: 'bench/fixtures/bare-blob-server.ts',
        env: { BLOB_BYTES: String(SMALL.bytes), DATA_DIR: await ctx.tempDir('bare-blob-') },
      }),
    ]);
    const client: 'wrk' | 'autocannon' = wrkPath() ? 'wrk' : 'autocannon';
    if (client === 'autocannon')
      ctx.warn('wrk is not installed (apt-get install wrk): rows of 64 KiB and more measure autocannon');
    ctx.log(`load client: ${client}`);
    const stores = [blobs, blobsNoFsync, blobsPool16];
    if (!ctx.smoke) {
      ctx.log(`filling each blob server's folders: ${FILL_SECONDS} s of PUTs, unmeasured`);
      for (const store of stores) {
        await ctx.loadTest({
          url: `${store}/blobs/fill`,
          method: 'PUT',
          body: Buffer.from('filler'),
          headers: { 'content-type': 'application/octet-stream' },
          connections: CONNECTIONS,
          client,
          uniquePaths: true,
          durationSeconds: FILL_SECONDS,
        });
      }
    }
    const measured: Row[] = [];
    const compare = async (
      label: string,
      request: { path: string; method: 'GET' | 'PUT'; body?: Buffer },
      sides: { project: string; baseline: string } = {
        project: label.includes('FSYNC=false') ? blobsNoFsync : blobs,
        baseline: nginx,
      },
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
        project: target(sides.project),
        baseline: target(sides.baseline),
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
      await Promise.all([...stores, nginx].map((base) => put(`${base}/blobs/get-${bytes}`, body)));
      await compare(`GET ${label}`, { path: `/blobs/get-${bytes}`, method: 'GET' });
    }
    // The ceiling: no Node server answers a GET faster than bare `http` sending the bytes from memory, or
    // streaming the file the Node way; nor stores a PUT faster than writing a temp file and renaming it, unchecked
    // (after the FSYNC=false rows, which it bounds).
    const ceiling = { project: bareBlobServer, baseline: nginx };
    await compare(
      `GET ${SMALL.label}: Node's bare http from memory (the ceiling); baseline nginx`,
      { path: `/blobs/get-${SMALL.bytes}`, method: 'GET' },
      ceiling,
    );
    const largest = sizes.at(-1) ?? SMALL;
    if (largest !== SMALL) {
      const body = randomBytes(largest.bytes);
      await Promise.all(
        [bareBlobServer, nginx].map((base) => put(`${base}/blobs/bare-get-${largest.bytes}`, body)),
      );
      await compare(
        `GET ${largest.label}: Node's bare http streaming the file (the ceiling); baseline nginx`,
        { path: `/blobs/bare-get-${largest.bytes}`, method: 'GET' },
        ceiling,
      );
    }
    // libuv's thread pool: 16 threads against the default 4, on the calls that use it most.
    const pool = { project: blobsPool16, baseline: blobs };
    await compare(
      `PUT ${SMALL.label} (FSYNC on), UV_THREADPOOL_SIZE=${LARGER_THREAD_POOL}; baseline the default 4`,
      { path: `/blobs/pool-${SMALL.bytes}`, method: 'PUT', body: randomBytes(SMALL.bytes) },
      pool,
    );
    await compare(
      `GET ${largest.label}, UV_THREADPOOL_SIZE=${LARGER_THREAD_POOL}; baseline the default 4`,
      { path: `/blobs/get-${largest.bytes}`, method: 'GET' },
      pool,
    );

    // What fsync costs: the same PUTs with FSYNC=false, against the same nginx.
    for (const { label, bytes } of sizes) {
      const body = randomBytes(bytes);
      await compare(`PUT ${label} (FSYNC=false)`, { path: `/blobs/put-${bytes}`, method: 'PUT', body });
    }
    await compare(
      `PUT ${SMALL.label}: Node's bare http, temp file and rename (the ceiling); baseline nginx`,
      { path: `/blobs/bare-${SMALL.bytes}`, method: 'PUT', body: randomBytes(SMALL.bytes) },
      ceiling,
    );

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
