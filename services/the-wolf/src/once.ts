// `--once`: one retention pass without serving HTTP, for a cron job or an operator. The pass logs what it
// removed (retention/wolf.ts). Exit code 0 when it finished, when another wolf was running one (that pass does
// the work), or when SIGTERM/SIGINT stopped it between batches (what it deleted stays deleted, like any service
// asked to stop); 1 when it failed.
import type { Logger } from '@backend-rebase/logger';
import type pg from 'pg';
import type { Config } from './config.js';
import { Wolf } from './retention/wolf.js';

export async function runOnce(
  config: Config,
  { logger, pool }: { logger: Logger; pool: pg.Pool },
): Promise<number> {
  const wolf = new Wolf({
    pool,
    logger,
    retentionHours: config.RETENTION_HOURS,
    batchSize: config.WOLF_BATCH_SIZE,
  });
  const stop = new AbortController();
  const abort = () => stop.abort();
  process.once('SIGTERM', abort);
  process.once('SIGINT', abort);
  try {
    const outcome = await wolf.pass({ signal: stop.signal });
    return outcome.status === 'failed' ? 1 : 0;
  } finally {
    process.off('SIGTERM', abort);
    process.off('SIGINT', abort);
  }
}
