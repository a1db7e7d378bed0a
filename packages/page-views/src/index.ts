// @backend-rebase/page-views: shared by the increments service (which counts views) and the analytics service
// (which reports them), so a page and an hour mean the same on both sides.
export { PAGE_MAX_LENGTH, pageProblem } from './page.js';
export { floorToHour, HOUR_MS, parseMultiKey, parseTimestamp, type Parsed } from './utc-time.js';

/** The database the three analytics services share, and the variable that names it (shared/spec/analytics.md). */
export const ANALYTICS_DATABASE = { database: 'analytics', variable: 'ANALYTICS_DATABASE_URL' } as const;
