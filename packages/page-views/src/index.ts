// @backend-rebase/page-views: shared by the analytics services — the increments service (which counts views),
// the analytics service (which reports them) and the wolf — so a page, an hour and their database mean the same
// to all three.
export { PAGE_MAX_LENGTH, pageProblem } from './page.js';
export { floorToHour, HOUR_MS, parseMultiKey, parseTimestamp } from './utc-time.js';
export { AnalyticsDatabaseConfig, openAnalyticsDatabase } from './database.js';
