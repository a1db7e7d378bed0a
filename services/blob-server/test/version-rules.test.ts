// The version rules, first as a table, then in the store: judged before the body is read and again at commit,
// where a change that landed while the body was arriving decides. The races are ordered by the test (a body
// that waits for the test's signal), not by sleeps.
import { Readable } from 'node:stream';
import { captureLogger } from '@backend-rebase/logger/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobStore, type WriteRequest } from '../src/storage/blob-store.js';
import { VersionConflictError, VersionTooFarAheadError } from '../src/storage/errors.js';
import {
  checkVersionLead,
  judgeVersion,
  MAX_VERSION_LEAD_MICROS,
  type RecordKind,
} from '../src/storage/version-rules.js';
import { removeDir, scratchDir, tempFiles } from './support/blob-server.js';

describe('judgeVersion', () => {
  const data = { version: 10, deleted: false };
  const tombstone = { version: 10, deleted: true };
  const verdict = (stored: typeof data | undefined, version: number, kind: RecordKind) => {
    try {
      return judgeVersion(stored, version, kind);
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      return `conflict with ${error.storedVersion} (${error.storedKind})`;
    }
  };

  it.each([
    ['nothing stored', undefined, 1, 'data', 'apply'],
    ['nothing stored', undefined, 1, 'tombstone', 'apply'],
    ['newer data over data', data, 11, 'data', 'apply'],
    ['a newer delete over data', data, 11, 'tombstone', 'apply'],
    ['newer data over a tombstone', tombstone, 11, 'data', 'apply'],
    ['data again at its version', data, 10, 'data', 'retry'],
    ['a delete again at its version', tombstone, 10, 'tombstone', 'retry'],
    ['a delete at the version of data', data, 10, 'tombstone', 'conflict with 10 (data)'],
    ['data at the version of a delete', tombstone, 10, 'data', 'conflict with 10 (tombstone)'],
    ['older data over data', data, 9, 'data', 'conflict with 10 (data)'],
    ['an older delete over data', data, 9, 'tombstone', 'conflict with 10 (data)'],
    ['older data over a tombstone', tombstone, 9, 'data', 'conflict with 10 (tombstone)'],
    ['an older delete over a tombstone', tombstone, 9, 'tombstone', 'conflict with 10 (tombstone)'],
  ] as const)('%s: %s', (_, stored, version, kind, expected) => {
    expect(verdict(stored, version, kind)).toBe(expected);
  });

  it('accepts a version up to one day ahead of the clock, in microseconds, and refuses one more', () => {
    const nowMs = 1_800_000_000_000;
    const limit = nowMs * 1000 + MAX_VERSION_LEAD_MICROS;
    expect(() => checkVersionLead(limit, nowMs)).not.toThrow();
    expect(() => checkVersionLead(limit + 1, nowMs)).toThrow(VersionTooFarAheadError);
    expect(MAX_VERSION_LEAD_MICROS).toBe(86_400_000_000);
  });
});

describe('BlobStore versions at commit', () => {
  let dataDir: string;
  let store: BlobStore;

  beforeEach(async () => {
    dataDir = await scratchDir('rules');
    store = await BlobStore.open({
      dataDir,
      quotaBytes: 1_000_000,
      maxBlobsInFolder: 100,
      maxTombstones: 100_000,
      maxIdLength: 200,
      fsync: false,
      logger: captureLogger().logger,
    });
  });

  afterEach(async () => {
    await store.close();
    await removeDir(dataDir);
  });

  const request = (id: string, body: string, version: number): WriteRequest => ({
    id,
    headers: { 'content-type': 'text/plain' },
    chargedBytes: body.length + 22,
    contentLength: body.length,
    body: Readable.from([Buffer.from(body)]),
    version,
  });

  /** A write whose body arrives only when the test says so; `checked` resolves once it passed the early checks. */
  function heldWrite(id: string, body: string, version: number) {
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let passed = () => {};
    const checked = new Promise<void>((resolve) => (passed = resolve));
    async function* held() {
      await released;
      yield Buffer.from(body);
    }
    const outcome = store.write({ ...request(id, body, version), body: held(), beforeBody: passed });
    return { outcome, checked, release };
  }

  async function text(id: string): Promise<string | undefined> {
    const found = await store.read(id);
    if (found.status !== 'blob') return found.status;
    try {
      return (await found.blob.readBody(0, found.blob.metadata.size - 1)).toString();
    } finally {
      found.blob.release();
    }
  }

  it('refuses at commit a write that a newer one overtook while its body arrived', async () => {
    const slow = heldWrite('race', 'older', 10);
    await slow.checked;
    expect((await store.write(request('race', 'newer', 20))).status).toBe('created');
    slow.release();

    await expect(slow.outcome).rejects.toMatchObject({
      version: 10,
      storedVersion: 20,
      storedKind: 'data',
    });
    expect(await text('race')).toBe('newer');
    expect(store.bytesUsed).toBe('newer'.length + 22);
    expect(await tempFiles(dataDir)).toEqual([]);
  });

  it('answers a retry that lost the race to its own first attempt as already applied', async () => {
    const retry = heldWrite('twice', 'same', 20);
    await retry.checked;
    const first = await store.write(request('twice', 'same', 20));
    retry.release();

    expect(await retry.outcome).toEqual({ status: 'unchanged', entry: first.entry });
    expect(store.bytesUsed).toBe('same'.length + 22);
    expect(store.blobCount).toBe(1);
    expect(await tempFiles(dataDir)).toEqual([]);
  });

  it('refuses at commit a write whose version a delete took meanwhile: the delete stays', async () => {
    await store.write(request('doomed', 'v1', 1));
    const slow = heldWrite('doomed', 'v20', 20);
    await slow.checked;
    expect(await store.delete({ id: 'doomed', version: 20 })).toEqual({ status: 'deleted', version: 20 });
    slow.release();

    await expect(slow.outcome).rejects.toBeInstanceOf(VersionConflictError);
    await expect(slow.outcome).rejects.toMatchObject({ storedKind: 'tombstone', storedVersion: 20 });
    expect(await store.read('doomed')).toEqual({ status: 'tombstone', version: 20 });
    expect(store.bytesUsed).toBe(0);
  });

  it('refuses before the body a write that is already too old, and never asks for the body', async () => {
    await store.write(request('early', 'newer', 20));
    let asked = false;
    await expect(
      store.write({ ...request('early', 'older', 10), beforeBody: () => (asked = true) }),
    ).rejects.toBeInstanceOf(VersionConflictError);
    expect(asked).toBe(false);
  });

  it('lets a newer write overtake an older one still receiving its body, both acknowledged in order', async () => {
    const slow = heldWrite('overtaken', 'newest', 30);
    await slow.checked;
    expect((await store.write(request('overtaken', 'middle', 20))).status).toBe('created');
    slow.release();
    expect((await slow.outcome).status).toBe('replaced');
    expect(await text('overtaken')).toBe('newest');
  });
});
