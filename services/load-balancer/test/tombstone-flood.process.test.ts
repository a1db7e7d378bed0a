// A flood of deletes of ids that were never stored cannot fill a node. Through the balancer every delete is
// versioned, so each leaves a tombstone on the id's owners; tombstones have their own folders and budget on a
// node (MAX_TOMBSTONES), so 20,000 of them leave every blob folder as it was and a later PUT of a new id is
// stored. The nodes' MAX_BLOBS_IN_FOLDER is 2 so the flood would bite: counted among the blobs, ~13,000
// tombstones a node over 4,096 folders would leave most folders full, and most new ids unwritable (507).
// Runtime here: about 40 s (the deletes at 32 in flight through an undici Pool).
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachLimit, ProcessCluster } from './support/processes.js';

const NODES = ['flood-1', 'flood-2', 'flood-3'];
const DELETES = 20_000;
const CONCURRENCY = 32;
const NEW_BLOBS = 20;

let cluster: ProcessCluster;
let pool: Pool;

beforeAll(async () => {
  cluster = await ProcessCluster.start({
    label: 'tombstone-flood',
    nodes: NODES,
    replicationFactor: 2,
    nodeEnv: { MAX_BLOBS_IN_FOLDER: '2' },
    // No rebalancer pass during the test: it would only add load (tombstones outlive TOMBSTONE_TTL anyway).
    balancerEnv: { REBALANCE_START_DELAY_MS: '600000' },
  });
  pool = new Pool(cluster.balancerUrl, { connections: CONCURRENCY });
}, 120_000);

afterAll(async () => {
  await pool?.close();
  await cluster?.close();
}, 30_000);

describe('a flood of deletes of unknown ids through the balancer', () => {
  it(`${DELETES} of them, then a PUT of a new id is stored and reads back`, async ({ onTestFailed }) => {
    onTestFailed(() => console.error(`process output:\n${cluster.logTail()}`));
    const statuses = new Map<number, number>();
    const ids = Array.from({ length: DELETES }, (_, n) => `never-stored-${n}`);
    await forEachLimit(ids, CONCURRENCY, async (id) => {
      const { statusCode, body } = await pool.request({ method: 'DELETE', path: `/blobs/${id}` });
      await body.dump();
      statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
    });
    console.info('answers to the deletes:', Object.fromEntries(statuses));
    // Every delete was answered. With two files a folder, the tombstone folders fill too: a node refuses the
    // tombstone with a 507 of its own (the balancer says 507, or 502 when the owners answered differently).
    expect([...statuses.keys()].filter((status) => ![204, 502, 507].includes(status))).toEqual([]);

    const stored: Record<string, number> = {};
    for (let n = 0; n < NEW_BLOBS; n += 1) {
      const id = `fresh-${n}`;
      const body = randomBytes(1024);
      const put = await pool.request({ method: 'PUT', path: `/blobs/${id}`, body });
      stored[id] = put.statusCode;
      await put.body.dump();
      if (put.statusCode !== 201) continue;
      const read = await pool.request({ method: 'GET', path: `/blobs/${id}` });
      expect(read.statusCode).toBe(200);
      expect(Buffer.from(await read.body.arrayBuffer()).equals(body)).toBe(true);
    }
    expect(stored).toEqual(Object.fromEntries(Object.keys(stored).map((id) => [id, 201])));
  }, 300_000);
});
