// Test helpers: '@backend-rebase/service-kit/testing'.
export { startServiceProcess, type ServiceProcess } from './service-process.js';
export { configProblems } from './config-problems.js';
export { expectRefusal, openConnections, upload, UPLOAD_CLIENTS } from './upload-clients.js';
export {
  eventually,
  manyHeaders,
  neverReads,
  openFileCount,
  openFilesUnder,
  openServerConnections,
  pidListeningOn,
  rawConnection,
  requestHead,
  residentBytes,
  serverClosed,
  silentConnections,
  statusLines,
  stopsHalfway,
  trickleHeaders,
} from './hostile-clients.js';
