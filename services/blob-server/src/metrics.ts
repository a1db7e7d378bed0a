// The blob server's own metrics (docs/blob-service.md), beside the kit's HTTP metrics. The gauges are
// read from the store when Prometheus scrapes, so they can never drift from what the store holds.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BlobStore } from './storage/blob-store.js';

export interface BlobMetrics {
  written(bytes: number): void;
  read(bytes: number): void;
}

export function addBlobMetrics(registry: Registry, store: BlobStore): BlobMetrics {
  const gauge = (name: string, help: string, value: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value());
      },
    });
  gauge('blob_bytes_used', 'Bytes of stored blobs: body plus stored headers', () => store.bytesUsed);
  gauge('blob_bytes_quota', 'MAX_DISK_QUOTA in bytes', () => store.bytesQuota);
  gauge('blob_count', 'Blobs stored on this node (tombstones excluded)', () => store.blobCount);
  gauge('blob_tombstone_count', 'Tombstones stored on this node', () => store.tombstoneCount);
  gauge('blob_tombstones_max', 'MAX_TOMBSTONES', () => store.tombstoneLimit);
  const written = new Counter({
    name: 'blob_write_bytes_total',
    help: 'Body bytes of committed writes',
    registers: [registry],
  });
  const read = new Counter({
    name: 'blob_read_bytes_total',
    help: 'Body bytes sent in answers to GET',
    registers: [registry],
  });
  return { written: (bytes) => written.inc(bytes), read: (bytes) => read.inc(bytes) };
}
