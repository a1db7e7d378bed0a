// @backend-rebase/page-views: shared by the increments service (which counts views) and the analytics service
// (which reports them), so a page and an hour mean the same on both sides.
export { PAGE_MAX_LENGTH, pageProblem } from './page.js';
export { floorToHour, HOUR_MS, parseMultiKey, parseTimestamp, type Parsed } from './utc-time.js';
