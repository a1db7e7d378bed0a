// The rows an HTTP load comparison reports (ctx.compareLoad's result): requests/s, then p50 and p99 latency,
// project against baseline, under one case label.
import type { LoadTestResult } from './load-test.js';
import type { Row } from './scenario.js';

export type LoadMetric = 'req/s' | 'p50 ms' | 'p95 ms' | 'p99 ms';

export function loadRows(
  label: string,
  { project, baseline }: { project: LoadTestResult; baseline: LoadTestResult },
  metrics: readonly LoadMetric[] = ['req/s', 'p50 ms', 'p99 ms'],
): Row[] {
  const values: Record<LoadMetric, (result: LoadTestResult) => number> = {
    'req/s': (result) => result.requestsPerSecond,
    'p50 ms': (result) => result.p50Ms,
    'p95 ms': (result) => result.p95Ms,
    'p99 ms': (result) => result.p99Ms,
  };
  return metrics.map((metric) => ({
    case: label,
    metric,
    project: values[metric](project),
    baseline: values[metric](baseline),
    higherIsBetter: metric === 'req/s',
  }));
}
