// What scenario files import: `import { defineScenario } from '../lib/index.js';`
export { defineScenario, type Row, type Scenario, type ScenarioContext } from './scenario.js';
export {
  compareLoad,
  loadTest,
  percentile,
  type CompareLoadOptions,
  type LoadTestOptions,
  type LoadTestResult,
} from './load-test.js';
export { timeOps, type TimeOpsOptions } from './time-ops.js';
export {
  freePort,
  rootDir,
  startProcess,
  waitForHttp,
  type ProcessHandle,
  type StartProcessOptions,
  type WaitForHttpOptions,
} from './process.js';
