// Test helpers: '@backend-rebase/service-kit/testing'.
export { startServiceProcess, type ServiceProcess, type ServiceProcessOptions } from './service-process.js';
export { configProblems } from './config-problems.js';
export {
  expectRefusal,
  openConnections,
  upload,
  UPLOAD_CLIENTS,
  type Upload,
  type UploadClient,
  type UploadResult,
} from './upload-clients.js';
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
  type RawConnection,
} from './hostile-clients.js';
