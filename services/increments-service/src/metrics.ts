// The increments service's own metrics (docs/analytics-project.md), beside the kit's HTTP metrics. Views count
// once committed, so increments_accepted_total never includes views a failed flush dropped.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { flushOutcome } from './page-views/hourly-store.js';

export interface IncrementMetrics {
  flushed(flush: { keys: number; seconds: number; error?: unknown }): void;
  accepted(views: number): void;
}

export function addIncrementMetrics(registry: Registry, pendingKeys: () => number): IncrementMetrics {
  const registers = [registry];
  const accepted = new Counter({
    name: 'increments_accepted_total',
    help: 'Page views committed and acknowledged',
    registers,
  });
  const flushes = new Counter({
    name: 'increments_flushes_total',
    help: 'Flushes (one INSERT … ON CONFLICT each) by outcome: committed, not-counted, unknown',
    labelNames: ['outcome'],
    registers,
  });
  const batchKeys = new Histogram({
    name: 'increments_batch_keys',
    help: '(page, hour) rows written per flush',
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10_000],
    registers,
  });
  const flushSeconds = new Histogram({
    name: 'increments_flush_seconds',
    help: 'Time from the start of a flush to its commit',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  new Gauge({
    name: 'increments_pending_keys',
    help: '(page, hour) keys waiting for the next flush',
    registers,
    collect() {
      this.set(pendingKeys());
    },
  });

  return {
    flushed({ keys, seconds, error }) {
      flushes.inc({ outcome: error === undefined ? 'committed' : flushOutcome(error) });
      if (error !== undefined) return;
      batchKeys.observe(keys);
      flushSeconds.observe(seconds);
    },
    accepted(views) {
      accepted.inc(views);
    },
  };
}
