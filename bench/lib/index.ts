// What scenario files import: `import { defineScenario } from '../lib/index.js';`
// Besides defineScenario, a few helpers (loadRows, wrkPath, the blob-store processes): a scenario starts
// processes, load tests and timings through `ctx`, which registers their clean-up and applies --duration; the raw
// functions in lib/ would bypass both.
export { defineScenario, type Row, type ScenarioContext } from './scenario.js';
export { wrkPath } from './wrk.js';
export { nginxPath } from './nginx.js';
export { startFixture } from './fixture-server.js';
export { loadRows } from './load-rows.js';
export { startBlobCluster, startBlobServer } from './blob-cluster.js';
export { compareWorkloads, type OpsWorkload } from './workloads.js';
export { benchDatabase } from './database.js';
export { startDatabaseService } from './database-service.js';
export { buildLesson, reportedPeakRssMiB, runLessonProgram, runTimed } from './measured-run.js';
