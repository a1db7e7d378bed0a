// Project and baseline measured in alternating rounds: shared by compareLoad (HTTP) and compareOps (functions).

export type Side = 'project' | 'baseline';

/**
 * Calls `measure` for both sides `rounds` times in ABBA order (baseline, project | project, baseline | …): a slow
 * moment on a shared machine, or a JIT that is still warming up, then affects both sides alike instead of
 * whichever went second.
 */
export async function alternate<T>(
  rounds: number,
  measure: (side: Side, round: number) => Promise<T>,
): Promise<Record<Side, T[]>> {
  const results: Record<Side, T[]> = { project: [], baseline: [] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['baseline', 'project'] as const) : (['project', 'baseline'] as const);
    for (const side of order) results[side].push(await measure(side, round));
  }
  return results;
}

/** max/min of one side's per-round rates; 1 with fewer than two rounds. A wide spread means a noisy machine. */
export function spread(rates: number[]): number {
  const positive = rates.filter((rate) => rate > 0);
  if (positive.length < 2) return 1;
  return Math.max(...positive) / Math.min(...positive);
}
