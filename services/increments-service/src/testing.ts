// Published on purpose for the benchmark's baseline (bench/fixtures/increments-per-request.ts): the statement
// that adds views and the shapes of POST /page-views/single, so the baseline differs from the service in the
// group commit only.
export { addHourlyViews } from './page-views/hourly-store.js';
export { Accepted, SingleView } from './routes/schemas.js';
