// Micro-benchmark cases measured the same way: each workload builds its project and baseline operations (their
// data made beforehand, so only the operation is timed), ctx.compareOps alternates them in rounds, and the
// result is one ops/s row per workload. Smoke runs take a tenth of a second per side, without warm-up.
import type { Row, ScenarioContext } from './scenario.js';

export interface OpsWorkload {
  name: string;
  project(): () => unknown;
  baseline(): () => unknown;
}

export async function compareWorkloads(
  ctx: ScenarioContext,
  workloads: readonly OpsWorkload[],
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const workload of workloads) {
    ctx.log(`${workload.name}: ${ctx.smoke ? 'smoke' : `${ctx.durationSeconds} s per side`}`);
    const { project, baseline } = await ctx.compareOps({
      label: workload.name,
      project: workload.project(),
      baseline: workload.baseline(),
      ...(ctx.smoke ? { durationSeconds: 0.1, rounds: 1 } : { rounds: 4, warmupSeconds: 1 }),
    });
    rows.push({
      case: workload.name,
      metric: 'ops/s',
      project: project.opsPerSecond,
      baseline: baseline.opsPerSecond,
      higherIsBetter: true,
    });
  }
  return rows;
}
