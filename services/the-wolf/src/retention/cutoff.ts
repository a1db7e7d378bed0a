// Where a pass draws the line: buckets whose hour is before the cutoff are deleted, the cutoff's own hour and
// everything after it stay. The cutoff is the start of the current UTC hour (the same hour the increments
// service counts views in) minus the retention, so with RETENTION_HOURS=720 the wolf keeps the 720 complete
// hours before the current one, and the current one.
import { floorToHour, HOUR_MS } from '@backend-rebase/page-views';

export function retentionCutoff(now: Date, retentionHours: number): Date {
  return new Date(floorToHour(now.getTime()) - retentionHours * HOUR_MS);
}
