// mulberry32: a tiny seeded pseudo-random generator (32 bits of state, one multiply-xorshift round per number).
// Same seed, same sequence, on every machine and Node version — which is all the generators, demos and benchmarks
// need: reproducible inputs. It is fast and passes the usual statistical batteries for this use, but it is not
// cryptographic, and its period (2^32) is far longer than any file we generate needs.

export class Mulberry32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniformly distributed integer in [0, 2^32). */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n), for n ≤ 2^32 (scaled, not `% n`, so small n have no modulo bias worth the name). */
  below(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }

  /** A float in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }
}

/** Uniform floats in [0, 1) as a function, where a `Math.random` stand-in is wanted. */
export function seededFloats(seed: number): () => number {
  const random = new Mulberry32(seed);
  return () => random.nextFloat();
}
