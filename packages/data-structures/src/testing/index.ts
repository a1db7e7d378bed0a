// The ring's golden table, for the tests of every package that places ids on the ring (the ring itself, the
// balancer's /internal/ring). The JSON is data computed independently of hash-ring.ts: for a set of ids it lists the
// MD5 position and the first three distinct owners among blob-1..blob-4 at 160 points each. Its `about` field
// spells out the layout it was computed with.
import { readFileSync } from 'node:fs';

export interface RingGoldenTable {
  about: string;
  nodes: string[];
  pointsPerNode: number;
  cases: Array<{ id: string; hash: number; owners: string[] }>;
}

export const ringGoldenTable = JSON.parse(
  readFileSync(new URL('./ring-ketama.json', import.meta.url), 'utf8'),
) as RingGoldenTable;
