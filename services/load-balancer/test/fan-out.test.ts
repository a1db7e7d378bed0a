// fanOut on its own: the slowest branch sets the pace (the source is not read ahead of it), a branch that fails
// mid-stream is dropped while the others get every byte, and a source that fails takes every branch down.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fanOut } from '../src/proxy/fan-out.js';
import { gate, upload } from './support/fake-nodes.js';

const MiB = 1024 * 1024;

/** A branch that keeps what it is given; `hold` makes it stop taking chunks until the gate opens. */
function collector(options: { hold?: Promise<void>; failAfter?: number } = {}) {
  const chunks: Buffer[] = [];
  let received = 0;
  const firstWrite = gate();
  const sink = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      firstWrite.open();
      received += chunk.length;
      if (options.failAfter !== undefined && received > options.failAfter) {
        callback(new Error('the node went away'));
        return;
      }
      chunks.push(chunk);
      if (options.hold) void options.hold.then(() => callback());
      else callback();
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks), firstWrite: firstWrite.wait };
}

async function ticks(count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

describe('fanOut', () => {
  it('reads the source no faster than the slowest branch takes it, then delivers every byte to both', async () => {
    const data = randomBytes(MiB);
    const source = upload(data);
    const release = gate();
    const fast = collector();
    const slow = collector({ hold: release.wait });

    const done = fanOut(source.body, [fast.sink, slow.sink]);
    await slow.firstWrite;
    await ticks(50); // room for a fan-out without backpressure to read much more
    // The slow branch holds its first chunk: only its buffer, the fast one's and the source's own can have filled.
    expect(source.read()).toBeLessThan(128 * 1024);

    release.open();
    const result = await done;
    expect(result).toEqual({ finished: [0, 1], sourceFailed: false });
    expect(fast.bytes().equals(data)).toBe(true);
    expect(slow.bytes().equals(data)).toBe(true);
  });

  it('drops a branch that fails mid-stream and goes on with the others', async () => {
    const data = randomBytes(MiB);
    const source = upload(data);
    const healthy = collector();
    const failing = collector({ failAfter: 64 * 1024 });

    const result = await fanOut(source.body, [failing.sink, healthy.sink]);
    expect(result).toEqual({ finished: [1], sourceFailed: false });
    expect(healthy.bytes().equals(data)).toBe(true);
    expect(failing.bytes().length).toBeLessThanOrEqual(64 * 1024);
  });

  it('destroys every branch when the source fails, so no node keeps a truncated body', async () => {
    const source = upload(randomBytes(MiB));
    const release = gate();
    const first = collector({ hold: release.wait });
    const second = collector();
    const done = fanOut(source.body, [first.sink, second.sink]);
    await first.firstWrite;
    source.body.destroy(new Error('the client went away'));
    const result = await done;
    expect(result.sourceFailed).toBe(true);
    expect(first.sink.destroyed).toBe(true);
    expect(second.sink.destroyed).toBe(true);
  });

  it('ends every branch at once for an empty body', async () => {
    const first = collector();
    const second = collector();
    const result = await fanOut(upload(Buffer.alloc(0)).body, [first.sink, second.sink]);
    expect(result).toEqual({ finished: [0, 1], sourceFailed: false });
  });
});
