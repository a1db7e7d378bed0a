// A full disk is a 507, not a 500: when the device (or the user's disk quota) fills before MAX_DISK_QUOTA
// does, the write answers 507 problem+json saying the disk is full, its temp file is gone, the old version is
// intact and its quota reservation is released. Shown with a fault-injecting file layer and, when the tests run
// as root, on a real 4 MiB tmpfs.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBlobServer, tempFiles, scratchDirsOfThisFile } from './support/blob-server.js';
import { metric, startFaultyBlobServer } from './support/storage-faults.js';
import { tmpfsOfThisFile } from './support/tmpfs.js';

const newDataDir = scratchDirsOfThisFile();

interface Problem {
  status: number;
  detail: string;
}

describe('a disk that fills (injected)', () => {
  for (const code of ['ENOSPC', 'EDQUOT']) {
    it(`${code} while the body streams: 507, no temp file, the old version intact, the reservation released`, async () => {
      const server = await startFaultyBlobServer(await newDataDir(code), { MAX_DISK_QUOTA: 100_000 });
      try {
        expect((await fetch(`${server.url}/blobs/photo`, { method: 'PUT', body: 'old' })).status).toBe(201);
        const usedBefore = await metric(server.url, 'blob_bytes_used');
        server.faults.writeFails = { code, afterBytes: 20_000 };
        const refused = await fetch(`${server.url}/blobs/photo`, {
          method: 'PUT',
          body: Buffer.alloc(60_000, 'n'),
        });
        expect(refused.status).toBe(507);
        expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const problem = (await refused.json()) as Problem;
        expect(problem.detail).toContain(`disk is full (${code})`);
        expect(problem.detail).not.toContain('past MAX_DISK_QUOTA');
        expect(await tempFiles(server.dataDir)).toEqual([]);
        expect(await (await fetch(`${server.url}/blobs/photo`)).text()).toBe('old');
        expect(await metric(server.url, 'blob_bytes_used')).toBe(usedBefore);

        // Had the 60,000 bytes stayed reserved, 60,000 more would pass the 100,000-byte quota.
        server.faults.writeFails = undefined;
        const next = await fetch(`${server.url}/blobs/photo`, {
          method: 'PUT',
          body: Buffer.alloc(60_000, 'y'),
        });
        expect(next.status).toBe(200);
        expect(server.fatal).toEqual([]);
      } finally {
        await server.close();
      }
    });
  }

  it('ENOSPC writing the header at commit, or a tombstone: 507 and nothing changed', async () => {
    const server = await startFaultyBlobServer(await newDataDir('header'));
    try {
      expect((await fetch(`${server.url}/blobs/a`, { method: 'PUT', body: 'kept' })).status).toBe(201);
      // Every write fails: the (empty) body needs none, the header at offset 0 does.
      server.faults.writeFails = { code: 'ENOSPC', afterBytes: 0 };
      expect((await fetch(`${server.url}/blobs/a`, { method: 'PUT', body: '' })).status).toBe(507);
      const deleted = await fetch(`${server.url}/blobs/a`, { method: 'DELETE' });
      expect(deleted.status).toBe(507);
      expect(((await deleted.json()) as Problem).detail).toContain('disk is full');
      expect(await tempFiles(server.dataDir)).toEqual([]);
      server.faults.writeFails = undefined;
      expect(await (await fetch(`${server.url}/blobs/a`)).text()).toBe('kept');
    } finally {
      await server.close();
    }
  });
});

describe('a disk that fills (a real 4 MiB tmpfs)', () => {
  const tmpfs = tmpfsOfThisFile('size=4m', 'mount -t tmpfs failed');

  it('a body larger than the free space: 507, the partial file removed, the old version intact', async (context) => {
    const { mountPoint } = tmpfs;
    if (mountPoint === undefined) {
      context.skip(tmpfs.skipReason);
      return;
    }
    // The quota (1 GiB) is far from reached: only the device is full.
    const server = await startBlobServer(path.join(mountPoint, 'data'));
    try {
      const first = Buffer.alloc(2 * 1024 * 1024, 'a');
      expect((await fetch(`${server.url}/blobs/big`, { method: 'PUT', body: first })).status).toBe(201);
      const usedBefore = await metric(server.url, 'blob_bytes_used');
      const refused = await fetch(`${server.url}/blobs/big`, {
        method: 'PUT',
        body: Buffer.alloc(3 * 1024 * 1024, 'b'),
      });
      expect(refused.status).toBe(507);
      expect(((await refused.json()) as Problem).detail).toContain('disk is full (ENOSPC)');
      expect(await tempFiles(server.dataDir)).toEqual([]);
      const kept = Buffer.from(await (await fetch(`${server.url}/blobs/big`)).arrayBuffer());
      expect(Buffer.compare(kept, first)).toBe(0);
      expect(await metric(server.url, 'blob_bytes_used')).toBe(usedBefore);
      // The space of the partial file is free again.
      const small = await fetch(`${server.url}/blobs/small`, {
        method: 'PUT',
        body: Buffer.alloc(1024 * 1024),
      });
      expect(small.status).toBe(201);
    } finally {
      await server.close();
    }
  });
});
