// Memory soak of the cache proxy (issue 15 item 8; not run by CI or `pnpm bench`): the proxy runs as its own
// process in front of a stub upstream (in this process) that serves 100,000 ids with bodies of 1 KiB–4 MiB, and
// `--workers` clients send random GET/PUT/DELETE for `--minutes`, while the proxy's RSS is sampled every second
// from /proc. The result (max RSS against CACHE_MAX_BYTES, the operations, any stale or wrong answer) is printed
// and written to bench/results/cache-soak.json.
//
//   tsx bench/soak/cache-soak.ts --minutes 10
//   tsx bench/soak/cache-soak.ts --minutes 1 --workers 16 --out /tmp/soak.json
//
// The stub makes every body from its id and version (the first line says `id=…;v=…;`, a shared random block
// fills the rest), so it holds no bodies, and a client can check what it got: the length is the version's, and
// a GET sent after a write was acknowledged must show that write's version or a newer one (never an older one:
// the cache's invalidation guarantee).
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, rootDir, startProcess, waitForHttp } from '../lib/process.js';

const MiB = 1024 * 1024;
const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    workers: { type: 'string', default: '32' },
    ids: { type: 'string', default: '100000' },
    'cache-max-bytes': { type: 'string', default: String(64 * MiB) },
    'entry-max-bytes': { type: 'string', default: String(4 * MiB) },
    out: { type: 'string', default: join(rootDir, 'bench', 'results', 'cache-soak.json') },
  },
});
/** A flag's value as a positive number (an integer unless `fraction`), or exit 2 naming the flag. */
function positive(flag: keyof typeof args, fraction = false): number {
  const value = Number(args[flag]);
  if (!(value > 0) || (!fraction && !Number.isInteger(value))) {
    process.stderr.write(
      `--${flag} must be a positive ${fraction ? 'number' : 'integer'}, got ${JSON.stringify(args[flag])}\n`,
    );
    process.exit(2);
  }
  return value;
}
const minutes = positive('minutes', true);
const workers = positive('workers');
const idCount = positive('ids');
const cacheMaxBytes = positive('cache-max-bytes');
const entryMaxBytes = positive('entry-max-bytes');
const MIN_BODY = 1024;
const MAX_BODY = 4 * MiB;

// ---- the stub upstream ----

const filler = randomBytes(MAX_BODY);
/** id → the newest version written (negative: deleted at version -v). Absent: version 0, present. */
const versions = new Map<number, number>();

/** A body length from 1 KiB to 4 MiB, log-uniform (as many 1–4 KiB bodies as 1–4 MiB ones), fixed per version. */
function sizeOf(id: number, version: number): number {
  const hash = createHash('md5').update(`${id}:${version}`).digest().readUInt32BE(0) / 2 ** 32;
  return Math.floor(MIN_BODY * (MAX_BODY / MIN_BODY) ** hash);
}

function firstLine(id: number, version: number): Buffer {
  return Buffer.from(`id=${id};v=${version};`.padEnd(32, ' '));
}

function idOf(url: string | undefined): number {
  return Number((url ?? '').replace(/^\/blobs\/b/, ''));
}

function stubHandler(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/ready' || req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"pass"}');
    return;
  }
  const id = idOf(req.url);
  if (req.method === 'PUT' || req.method === 'DELETE') {
    const version = Number(req.headers['x-rebase-soak-version']);
    req.resume();
    req.once('end', () => {
      const current = versions.get(id) ?? 0;
      // Versions only move forward, as on the blob servers: a slower, older write does not win.
      if (version > Math.abs(current)) versions.set(id, req.method === 'DELETE' ? -version : version);
      if (req.method === 'DELETE') res.writeHead(204).end();
      else res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
    });
    return;
  }
  const version = versions.get(id) ?? 0;
  if (version < 0) {
    res.writeHead(404, { 'content-type': 'application/problem+json' }).end('{"status":404}');
    return;
  }
  const size = sizeOf(id, version);
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': String(size),
    etag: `"${id}-${version}"`,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  res.write(firstLine(id, version));
  res.end(filler.subarray(0, size - 32));
}

// ---- the proxy and its RSS ----

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kib ?? 0) * 1024;
}

const stub = createServer(stubHandler);
await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
const stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
const port = await freePort();
const proxyUrl = `http://127.0.0.1:${port}`;
const proxy = await startProcess({
  name: 'cache-proxy',
  script: 'services/cache-proxy/src/server.ts',
  env: {
    PORT: String(port),
    HOST: '127.0.0.1',
    UPSTREAM_URL: stubUrl,
    CACHE_MAX_BYTES: String(cacheMaxBytes),
    CACHE_MAX_ENTRY_BYTES: String(entryMaxBytes),
    MAX_ITEMS_IN_CACHE: String(idCount),
    LOG_LEVEL: 'warn',
  },
});
await waitForHttp(`${proxyUrl}/ready`, { status: 200, process: proxy });
const idleRss = rssBytes(proxy.pid);

// ---- the clients ----

/** id → the newest version whose write was acknowledged (negative: a delete) */
const acknowledged = new Map<number, number>();
/**
 * id → the newest version a DELETE was sent with: a 404 after an acknowledged PUT is stale only if no DELETE
 * with a newer version was ever sent (the stub may have applied it first and refused the PUT's older version).
 */
const newestDeleteSent = new Map<number, number>();
let nextVersion = 1;
const counts = {
  get: 0,
  getHit: 0,
  get404: 0,
  put: 0,
  delete: 0,
  bytesRead: 0,
  errors: 0,
  stale: 0,
  wrongLength: 0,
};
const errorSamples: string[] = [];
const staleSamples: string[] = [];

/** Hot ids are read far more than cold ones (a cube of a uniform draw): some hits, collapses and evictions. */
function pickId(): number {
  return Math.floor(idCount * Math.random() ** 3);
}

async function oneOperation(): Promise<void> {
  const id = pickId();
  const draw = Math.random();
  const url = `${proxyUrl}/blobs/b${id}`;
  if (draw < 0.8) {
    const before = acknowledged.get(id);
    const response = await fetch(url);
    counts.get++;
    if (response.headers.get('x-cache') === 'HIT') counts.getHit++;
    let length = 0;
    let head = '';
    for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
      if (length < 32) head += Buffer.from(chunk.subarray(0, 32 - length)).toString();
      length += chunk.length;
    }
    counts.bytesRead += length;
    if (response.status === 404) {
      counts.get404++;
      if (before !== undefined && before > 0 && (newestDeleteSent.get(id) ?? 0) < before) {
        counts.stale++;
        if (staleSamples.length < 10)
          staleSamples.push(`GET b${id}: 404 after PUT v${before} was acknowledged`);
      }
      return;
    }
    if (response.status !== 200) throw new Error(`GET answered ${response.status}`);
    const version = Number(/;v=(\d+);/.exec(head)?.[1] ?? -1);
    if (length !== sizeOf(id, version)) counts.wrongLength++;
    if (before !== undefined && version < Math.abs(before)) {
      counts.stale++;
      if (staleSamples.length < 10) {
        staleSamples.push(
          `GET b${id}: v${version} after ${before > 0 ? 'PUT' : 'DELETE'} v${Math.abs(before)} was acknowledged`,
        );
      }
    }
  } else if (draw < 0.95) {
    const version = nextVersion++;
    const size = sizeOf(id, version);
    const body = Buffer.concat([firstLine(id, version), filler.subarray(0, size - 32)]);
    const response = await fetch(url, {
      method: 'PUT',
      body,
      headers: { 'content-type': 'application/octet-stream', 'x-rebase-soak-version': String(version) },
    });
    await response.arrayBuffer();
    counts.put++;
    if (response.status >= 300) throw new Error(`PUT answered ${response.status}`);
    if (version > Math.abs(acknowledged.get(id) ?? 0)) acknowledged.set(id, version);
  } else {
    const version = nextVersion++;
    newestDeleteSent.set(id, version);
    const response = await fetch(url, {
      method: 'DELETE',
      headers: { 'x-rebase-soak-version': String(version) },
    });
    await response.arrayBuffer();
    counts.delete++;
    if (response.status !== 204) throw new Error(`DELETE answered ${response.status}`);
    if (version > Math.abs(acknowledged.get(id) ?? 0)) acknowledged.set(id, -version);
  }
}

const startedAt = Date.now();
const endsAt = startedAt + minutes * 60_000;
const samples: { seconds: number; rssMiB: number }[] = [];
let maxRss = idleRss;
const sampler = setInterval(() => {
  const rss = rssBytes(proxy.pid);
  maxRss = Math.max(maxRss, rss);
  const seconds = Math.round((Date.now() - startedAt) / 1000);
  samples.push({ seconds, rssMiB: Math.round((rss / MiB) * 10) / 10 });
  if (seconds % 30 === 0) {
    process.stderr.write(
      `${seconds}s rss ${(rss / MiB).toFixed(1)} MiB (max ${(maxRss / MiB).toFixed(1)}) ops ${counts.get + counts.put + counts.delete} errors ${counts.errors} stale ${counts.stale}\n`,
    );
  }
}, 1000);

await Promise.all(
  Array.from({ length: workers }, async () => {
    while (Date.now() < endsAt) {
      try {
        await oneOperation();
      } catch (error) {
        counts.errors++;
        if (errorSamples.length < 10) errorSamples.push(String(error));
      }
    }
  }),
);
clearInterval(sampler);

const stats = (await (await fetch(`${proxyUrl}/internal/cache`)).json()) as Record<string, number>;
const status = readFileSync(`/proc/${proxy.pid}/status`, 'utf8');
const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
await proxy.stop();
stub.closeAllConnections();
stub.close();

const result = {
  scenario: 'cache-soak',
  date: new Date().toISOString(),
  node: process.version,
  minutes,
  workers,
  ids: idCount,
  bodies: '1 KiB – 4 MiB, log-uniform; 80 % GET (hot ids: a cube of a uniform draw), 15 % PUT, 5 % DELETE',
  settings: {
    CACHE_MAX_BYTES: cacheMaxBytes,
    CACHE_MAX_ENTRY_BYTES: entryMaxBytes,
    MAX_ITEMS_IN_CACHE: idCount,
  },
  idleRssMiB: Math.round((idleRss / MiB) * 10) / 10,
  maxRssMiB: Math.round((maxRss / MiB) * 10) / 10,
  peakRssMiB: Math.round((hwm / MiB) * 10) / 10,
  maxRssOverCacheMaxBytesMiB: Math.round(((Math.max(maxRss, hwm) - cacheMaxBytes) / MiB) * 10) / 10,
  operations: { ...counts, gibRead: Math.round((counts.bytesRead / 1024 ** 3) * 100) / 100 },
  errorSamples,
  staleSamples,
  finalCacheStats: stats,
  rssSamplesMiB: samples,
};
await mkdir(dirname(args.out), { recursive: true });
await writeFile(args.out, `${JSON.stringify(result, null, 2)}\n`);
const { rssSamplesMiB: _samples, ...summary } = result;
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
