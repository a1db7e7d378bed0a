// What a user of the running stack does, through the ports it publishes, each check failing with what it saw:
// blobs stored and read back through the cache proxy; a user created and read; page views counted and read in the
// hourly report; the dashboard and the scripts it loads; and, once a blob server is gone, every blob read again
// past the cache (Cache-Control: no-store, answered by the balancer from the copies that are left). Every value
// is new for each run (ids, email, page), so a check cannot pass on an earlier run's data.
import { randomBytes } from 'node:crypto';

const REQUEST_TIMEOUT_MS = 30_000;
const BLOB_COUNT = 24;

export const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

class SmokeError extends Error {
  override name = 'SmokeError';
}

async function request(url: string, init: RequestInit = {}) {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const body = await response.text();
  return { status: response.status, headers: response.headers, body };
}

function expectStatus(what: string, got: { status: number; body: string }, ...wanted: number[]) {
  if (!wanted.includes(got.status)) {
    throw new SmokeError(
      `${what}: expected ${wanted.join(' or ')}, got ${got.status}: ${got.body.slice(0, 300)}`,
    );
  }
}

export interface StoredBlobs {
  bodies: Map<string, string>;
  /** How many first reads each node answered (X-Served-By, relayed by the cache proxy from the balancer). */
  servedBy: Map<string, number>;
}

export async function storeAndReadBlobs(cacheProxy: string): Promise<StoredBlobs> {
  const bodies = new Map<string, string>();
  const servedBy = new Map<string, number>();
  for (let i = 1; i <= BLOB_COUNT; i++) {
    const id = `smoke-${runId}-${i}`;
    const body = `blob ${i} of run ${runId}: ${randomBytes(16).toString('hex')}\n`;
    const put = await request(`${cacheProxy}/blobs/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body,
    });
    expectStatus(`PUT /blobs/${id}`, put, 201);
    bodies.set(id, body);
  }
  for (const [id, body] of bodies) {
    const miss = await request(`${cacheProxy}/blobs/${id}`);
    expectStatus(`GET /blobs/${id}`, miss, 200);
    if (miss.body !== body) throw new SmokeError(`GET /blobs/${id} answered other bytes than were stored`);
    if (miss.headers.get('x-cache') !== 'MISS') {
      throw new SmokeError(`first GET /blobs/${id}: X-Cache ${miss.headers.get('x-cache')}, expected MISS`);
    }
    const node = miss.headers.get('x-served-by') ?? '(none)';
    servedBy.set(node, (servedBy.get(node) ?? 0) + 1);
    const hit = await request(`${cacheProxy}/blobs/${id}`);
    if (hit.body !== body || hit.headers.get('x-cache') !== 'HIT') {
      throw new SmokeError(`second GET /blobs/${id}: X-Cache ${hit.headers.get('x-cache')}, expected a HIT`);
    }
  }
  return { bodies, servedBy };
}

/** The node whose loss is felt most: the one that answered the most reads. */
export function busiestNode(blobs: StoredBlobs): string {
  const [node] = [...blobs.servedBy].sort((a, b) => b[1] - a[1])[0] ?? [];
  if (!node || node === '(none)') throw new SmokeError('no read named the node that served it (X-Served-By)');
  return node;
}

/** Every blob read past the cache, after a node is gone; returns which nodes answered. */
export async function readBlobsPastTheCache(cacheProxy: string, blobs: StoredBlobs, gone: string) {
  const answeredBy = new Map<string, number>();
  const missing: string[] = [];
  for (const [id, body] of blobs.bodies) {
    const got = await request(`${cacheProxy}/blobs/${id}`, { headers: { 'cache-control': 'no-store' } });
    if (got.status !== 200 || got.body !== body) {
      missing.push(`${id} (${got.status})`);
      continue;
    }
    if (got.headers.get('x-cache') !== 'BYPASS') {
      throw new SmokeError(
        `GET /blobs/${id} with no-store: X-Cache ${got.headers.get('x-cache')}, not BYPASS`,
      );
    }
    const node = got.headers.get('x-served-by') ?? '(none)';
    if (node === gone) throw new SmokeError(`GET /blobs/${id} was answered by ${gone}, which was killed`);
    answeredBy.set(node, (answeredBy.get(node) ?? 0) + 1);
  }
  if (missing.length > 0) {
    throw new SmokeError(`${missing.length} of ${blobs.bodies.size} blobs unreadable: ${missing.join(', ')}`);
  }
  // Writes go on too: the ids the dead node owned get a stand-in.
  const id = `smoke-${runId}-after-kill`;
  const put = await request(`${cacheProxy}/blobs/${id}`, { method: 'PUT', body: 'written after the kill' });
  expectStatus(`PUT /blobs/${id} after the kill`, put, 201);
  const read = await request(`${cacheProxy}/blobs/${id}`);
  if (read.body !== 'written after the kill')
    throw new SmokeError(`GET /blobs/${id} after the kill: wrong body`);
  return answeredBy;
}

export async function createAndReadUser(userService: string): Promise<string> {
  const email = `smoke-${runId}@example.com`;
  const created = await request(`${userService}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, full_name: `Smoke Test ${runId}` }),
  });
  expectStatus('POST /users', created, 201);
  const { id } = JSON.parse(created.body) as { id: string };
  const read = await request(`${userService}/users/${encodeURIComponent(email.toUpperCase())}`);
  expectStatus(`GET /users/${email}`, read, 200);
  const user = JSON.parse(read.body) as { id: string; email: string; full_name: string };
  if (user.id !== id || user.email !== email || user.full_name !== `Smoke Test ${runId}`) {
    throw new SmokeError(`GET /users/${email} answered ${read.body}, not the user just created (${id})`);
  }
  return id;
}

/** Counts 3 + 1 views of a new page in the last complete UTC hour and reads them in the hourly report. */
export async function countPageViews(incrementsService: string, analyticsService: string): Promise<string> {
  const page = `smoke-${runId}`;
  const now = new Date();
  const hour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000 - 3_600_000);
  const bucket = `${hour.toISOString().slice(0, 10)}_${hour.toISOString().slice(11, 16)}`;
  const multi = await request(`${incrementsService}/page-views/multi`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ [page]: { [bucket]: 3 } }),
  });
  expectStatus('POST /page-views/multi', multi, 200);
  const single = await request(`${incrementsService}/page-views/single`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ page, timestamp: new Date(hour.getTime() + 90_000).toISOString() }),
  });
  expectStatus('POST /page-views/single', single, 200);
  const accepted = [multi, single].map(
    (answer) => (JSON.parse(answer.body) as { accepted: number }).accepted,
  );
  if (accepted[0] !== 3 || accepted[1] !== 1) {
    throw new SmokeError(`the increments service accepted ${accepted.join(' + ')} views, not 3 + 1`);
  }
  // `now` pinned to the moment above, so an hour that ends meanwhile does not move the report.
  const report = await request(
    `${analyticsService}/report/${encodeURIComponent(page)}?take=1&now=${encodeURIComponent(now.toISOString())}`,
  );
  expectStatus(`GET /report/${page}`, report, 200);
  const { data } = JSON.parse(report.body) as { data: Array<{ h: string; v: number }> };
  if (data.length !== 1 || data[0]?.h !== hour.toISOString() || data[0].v !== 4) {
    throw new SmokeError(
      `GET /report/${page} answered ${report.body}, expected 4 views at ${hour.toISOString()}`,
    );
  }
  return `${page}: 4 views at ${hour.toISOString()}`;
}

/** The dashboard page and every script it loads (Chart.js is resolved from the image's own packages). */
export async function readDashboard(analyticsService: string): Promise<string[]> {
  const page = await request(`${analyticsService}/dashboard`);
  expectStatus('GET /dashboard', page, 200);
  if (
    !page.headers.get('content-type')?.startsWith('text/html') ||
    !page.body.includes('<title>Page views')
  ) {
    throw new SmokeError(`GET /dashboard is not the dashboard page: ${page.body.slice(0, 200)}`);
  }
  const scripts = [...page.body.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((match) => match[1]!);
  if (scripts.length === 0) throw new SmokeError('the dashboard page loads no script');
  for (const src of scripts) {
    const script = await request(new URL(src, `${analyticsService}/dashboard`).toString());
    expectStatus(`GET ${src} (a script of the dashboard)`, script, 200);
    if (script.body.length === 0) throw new SmokeError(`GET ${src} is empty`);
  }
  return scripts;
}
