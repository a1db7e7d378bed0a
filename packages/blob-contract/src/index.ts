// @backend-rebase/blob-contract: shared by the blob server and the proxies in front of it.
export { blobAnswers } from './answers.js';
export { idSchemaOptions, invalidIdReason } from './ids.js';
export {
  refuseBadBlobPaths,
  requireContentLength,
  routeBlobMethods,
  type BlobMethod,
  type BlobMethodDescription,
} from './proxied-routes.js';
export { BLOB_VERSION_HEADER } from './version.js';
export { tombstoneTtlProblem } from './tombstones.js';
