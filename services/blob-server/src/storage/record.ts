// The on-disk record: one file per blob holding its metadata and its body, so that a single rename replaces
// both at once and a reader that has opened the file sees one version whole, whatever happens to the path.
//
//   "BLOB" | metadata length (uint32 BE) | metadata (UTF-8 JSON) | body
//
// The metadata is written last, into a slot whose length is fixed before the body arrives: the slot is sized
// for the longest values the fields that are only known at commit can take (a 32-character MD5, the largest
// version and timestamp), and the JSON is padded with spaces to fill it. So the body streams straight to its
// final offset, and the version and time are decided at the moment of commit.
// A tombstone (a deleted blob, kept so an older write cannot bring it back) is a record with no body.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readAt } from './file-io.js';

export interface BlobMetadata {
  id: string;
  /** body bytes */
  size: number;
  /** hex MD5 of the body, without quotes; empty for a tombstone */
  md5: string;
  version: number;
  /** milliseconds since the epoch */
  modified: number;
  /** stored headers, lower-cased names, in the order received */
  headers: Record<string, string>;
  deleted: boolean;
}

const MAGIC = Buffer.from('BLOB');
const PREFIX_BYTES = MAGIC.length + 4;
/** Enough for the metadata of almost every blob, and the whole of a small one, in one read. */
const FIRST_READ_BYTES = 64 * 1024;
const LONGEST_MD5 = 'f'.repeat(32);
const LONGEST_TIME = 9_999_999_999_999;

export class CorruptRecordError extends Error {
  constructor(file: string, reason: string) {
    super(`${file} is not a valid blob record: ${reason}`);
    this.name = 'CorruptRecordError';
  }
}

type KnownBeforeCommit = Pick<BlobMetadata, 'id' | 'size' | 'headers' | 'deleted'>;

/** The length of the header slot of a record with these fields, whatever the MD5, version and time. */
export function headerSlotLength(fields: KnownBeforeCommit): number {
  const longest = { ...fields, md5: LONGEST_MD5, version: Number.MAX_SAFE_INTEGER, modified: LONGEST_TIME };
  return PREFIX_BYTES + Buffer.byteLength(JSON.stringify(longest));
}

/** The header bytes, exactly `slotLength` long. */
export function encodeHeader(metadata: BlobMetadata, slotLength: number): Buffer {
  const json = JSON.stringify(metadata);
  if (PREFIX_BYTES + Buffer.byteLength(json) > slotLength) {
    throw new RangeError(`metadata of ${metadata.id} does not fit its ${slotLength}-byte slot`);
  }
  const header = Buffer.alloc(slotLength, ' ');
  MAGIC.copy(header, 0);
  header.writeUInt32BE(slotLength - PREFIX_BYTES, MAGIC.length);
  header.write(json, PREFIX_BYTES);
  return header;
}

export interface OpenedRecord {
  metadata: BlobMetadata;
  /** file offset of the first body byte */
  bodyOffset: number;
  /** body bytes already read with the header: the whole body when it is small */
  bodyStart: Buffer;
}

/**
 * Reads the header of the live record open as `fd`, with the first body bytes. The file's size is not checked
 * against the header: records only ever appear whole, by rename, and warm-up has checked the ones on disk.
 */
export async function readHeader(fd: number, name: string): Promise<OpenedRecord> {
  const first = Buffer.allocUnsafe(FIRST_READ_BYTES);
  const bytesRead = await readAt(fd, first, 0);
  const bodyOffset = bodyOffsetOf(first, bytesRead, name);
  let json: Buffer;
  if (bodyOffset <= bytesRead) {
    json = first.subarray(PREFIX_BYTES, bodyOffset);
  } else {
    json = Buffer.allocUnsafe(bodyOffset - PREFIX_BYTES);
    if ((await readAt(fd, json, PREFIX_BYTES)) < json.length) {
      throw new CorruptRecordError(name, 'truncated metadata');
    }
  }
  const metadata = parseMetadata(json, name);
  const bodyStart = first.subarray(bodyOffset, Math.min(bytesRead, bodyOffset + metadata.size));
  return { metadata, bodyOffset, bodyStart };
}

/**
 * The metadata of the record at `file`, checked whole: the file's size must be what its header declares.
 * Synchronous, for warm-up: it runs before the server listens, when nothing else waits on the event loop, and
 * plain system calls are several times faster than a thread-pool round trip per call. `scratch` is reused
 * from file to file.
 */
export function readMetadataSync(file: string, scratch: Buffer): BlobMetadata {
  const fd = openSync(file, 'r');
  try {
    const bytesRead = readSync(fd, scratch, 0, scratch.length, 0);
    const bodyOffset = bodyOffsetOf(scratch, bytesRead, file);
    let json = scratch.subarray(PREFIX_BYTES, bodyOffset);
    if (bodyOffset > bytesRead) {
      json = Buffer.allocUnsafe(bodyOffset - PREFIX_BYTES);
      if (readSync(fd, json, 0, json.length, PREFIX_BYTES) < json.length) {
        throw new CorruptRecordError(file, 'truncated metadata');
      }
    }
    const metadata = parseMetadata(json, file);
    const { size } = fstatSync(fd);
    if (size !== bodyOffset + metadata.size) {
      throw new CorruptRecordError(file, `${size} bytes on disk, ${bodyOffset + metadata.size} declared`);
    }
    return metadata;
  } finally {
    closeSync(fd);
  }
}

function bodyOffsetOf(first: Buffer, bytesRead: number, name: string): number {
  if (bytesRead < PREFIX_BYTES || !first.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new CorruptRecordError(name, 'no record header');
  }
  return PREFIX_BYTES + first.readUInt32BE(MAGIC.length);
}

function parseMetadata(json: Buffer, name: string): BlobMetadata {
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch {
    throw new CorruptRecordError(name, 'metadata is not JSON');
  }
  const metadata = value as Partial<BlobMetadata> | null;
  if (
    typeof metadata?.id !== 'string' ||
    !Number.isSafeInteger(metadata.size) ||
    typeof metadata.md5 !== 'string' ||
    !Number.isSafeInteger(metadata.version) ||
    typeof metadata.modified !== 'number' ||
    typeof metadata.headers !== 'object' ||
    typeof metadata.deleted !== 'boolean'
  ) {
    throw new CorruptRecordError(name, 'metadata is incomplete');
  }
  return metadata as BlobMetadata;
}
