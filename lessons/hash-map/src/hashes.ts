// Hash functions for HashMap: a key (a string) in, 32 bits out. The map only needs the same key to give the same
// number every time and different keys to spread evenly over the low bits, which pick the bucket.
//
// - fnv1a: the default. Fast, allocates nothing, good enough spread for ordinary keys. Not for keys an attacker
//   chooses: FNV is easy to invert, so a client could send many keys that land in one bucket.
// - mixInt32: for integer keys, which would otherwise be turned into strings (an allocation) to be hashed.
// - md5Hash: the course's choice. A cryptographic digest mixes every input bit into every output bit, so its spread
//   is excellent, but it costs a native call and an encoding step per key (see README.md, "Hash choice").
import { hash } from 'node:crypto';

export type HashFunction = (key: string) => number;

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * 32-bit FNV-1a over the string's UTF-16 code units, as an unsigned integer.
 *
 * For ASCII keys a code unit is the key's UTF-8 byte, so this is exactly the standard FNV-1a of the UTF-8 bytes
 * (the published test vectors hold). Other characters go in 16 bits at a time instead of being encoded first:
 * still deterministic, no allocation.
 */
export function fnv1a(key: string): number {
  let h = FNV_OFFSET_BASIS;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    // Math.imul multiplies as 32-bit integers; `h * FNV_PRIME` would lose low bits to floating-point rounding.
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/**
 * MurmurHash3's finalizer: every input bit affects every output bit, so 0, 1, 2, … (or multiples of 1024) spread
 * over all buckets instead of filling them in order (or a few of them). A bijection on 32 bits: distinct int32s
 * never collide before the mask.
 */
export function mixInt32(key: number): number {
  let h = key | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The first 4 bytes (big-endian) of the MD5 digest of the key's UTF-8 bytes, as an unsigned integer. */
export function md5Hash(key: string): number {
  return hash('md5', key, 'buffer').readUInt32BE(0);
}
