// The wolf's own metrics, beside the kit's HTTP metrics on the app's registry. wolf_rows_deleted_total grows
// with every committed batch, so it matches what is gone even when a pass fails halfway.
// wolf_last_pass_timestamp_seconds moves only when a pass finishes: alert when `time() - it` exceeds a few
// intervals (0 until the first pass has finished). wolf_pass_failures_total counts passes that failed.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PassObserver } from './retention/wolf.js';

export function addWolfMetrics(registry: Registry): PassObserver {
  const registers = [registry];
  const rowsDeleted = new Counter({
    name: 'wolf_rows_deleted_total',
    help: 'Hourly page-view buckets deleted for being older than the retention',
    registers,
  });
  const lastPass = new Gauge({
    name: 'wolf_last_pass_timestamp_seconds',
    help: 'When the last retention pass finished, in seconds since the epoch',
    registers,
  });
  const passSeconds = new Histogram({
    name: 'wolf_pass_seconds',
    help: 'Duration of the retention passes that finished, in seconds',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers,
  });
  const failures = new Counter({
    name: 'wolf_pass_failures_total',
    help: 'Retention passes that failed (the database could not be reached or refused a batch)',
    registers,
  });

  return {
    batchDeleted(rows) {
      rowsDeleted.inc(rows);
    },
    passFinished({ seconds }) {
      lastPass.setToCurrentTime();
      passSeconds.observe(seconds);
    },
    passFailed() {
      failures.inc();
    },
  };
}
