import { describe, expect, it } from 'vitest';
import { fnv1a, md5Hash, mixInt32 } from '../src/hashes.js';

describe('fnv1a', () => {
  // The published FNV-1a 32-bit test vectors (ASCII, so UTF-16 code units are the UTF-8 bytes).
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('%j → %i', (key, hash) => {
    expect(fnv1a(key)).toBe(hash);
  });

  it('gives unsigned 32-bit integers for any string', () => {
    for (const key of ['é', '😀', 'x'.repeat(1000), 'user:123']) {
      const hash = fnv1a(key);
      expect(Number.isInteger(hash) && hash >= 0 && hash < 2 ** 32).toBe(true);
    }
  });
});

describe('md5Hash', () => {
  it.each([
    ['', 0xd41d8cd9], // d41d8cd98f00b204e9800998ecf8427e
    ['a', 0x0cc175b9], // 0cc175b9c0f1b6a831c399e269772661
    ['é', 0x66ddcd97], // of the UTF-8 bytes c3 a9
  ])('%j → the first 4 bytes of the digest', (key, hash) => {
    expect(md5Hash(key)).toBe(hash);
  });
});

describe('mixInt32', () => {
  it('sends distinct integers to distinct unsigned 32-bit hashes, spread over the low bits', () => {
    const hashes = Array.from({ length: 4096 }, (_, i) => mixInt32(i));
    expect(new Set(hashes).size).toBe(4096);
    expect(hashes.every((hash) => Number.isInteger(hash) && hash >= 0 && hash < 2 ** 32)).toBe(true);
    // 4096 consecutive integers in 1024 buckets: an identity hash would give exactly 4 per bucket; a good mix gives
    // about what random placement gives (around 2 % of the buckets empty), not a clump.
    const perBucket = new Array<number>(1024).fill(0);
    for (const hash of hashes) perBucket[hash & 1023] = (perBucket[hash & 1023] ?? 0) + 1;
    expect(Math.max(...perBucket)).toBeLessThan(16);
  });
});
