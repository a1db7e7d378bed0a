// Test helpers: '@backend-rebase/service-kit/testing'.
export { startServiceProcess, type ServiceProcess, type ServiceProcessOptions } from './service-process.js';
export { configProblems } from './config-problems.js';
