/** The order of writes and deletes of one id: set by the load balancer, stored and returned by the nodes. */
export const BLOB_VERSION_HEADER = 'x-blob-version';
