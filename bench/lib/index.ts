// What scenario files import: `import { defineScenario } from '../lib/index.js';`
// Only types besides defineScenario and a few helpers (loadRows, wrkPath, the blob-store processes): a scenario starts processes, load tests and timings through
// `ctx`, which registers their clean-up and applies --duration; the raw functions in lib/ would bypass both.
export { defineScenario, type Row, type Scenario, type ScenarioContext } from './scenario.js';
export type { CompareLoadOptions, LoadTestOptions, LoadTestResult } from './load-test.js';
export type { CompareOpsOptions, CompareOpsResult, TimeOpsOptions } from './time-ops.js';
export type { ProcessHandle, SpawnOptions, StartProcessOptions, WaitForHttpOptions } from './process.js';
export { wrkPath } from './wrk.js';
export { loadRows, type LoadMetric } from './load-rows.js';
export { startBlobCluster, startBlobServer, type BlobServerOptions } from './blob-cluster.js';
export { compareWorkloads, type OpsWorkload } from './workloads.js';
export { benchDatabase } from './database.js';
export { startDatabaseService, type DatabaseServiceOptions } from './database-service.js';
export {
  buildLesson,
  reportedPeakRssMiB,
  runLessonProgram,
  runTimed,
  type MeasuredRun,
} from './measured-run.js';
