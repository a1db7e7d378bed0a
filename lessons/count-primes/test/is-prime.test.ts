import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isPrime } from '../src/is-prime.js';

/** The obvious algorithm, slow but plainly right: the oracle for random checks. */
function isPrimeByTrialDivision(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

describe('isPrime', () => {
  test('small values', () => {
    expect([0, 1, 2, 3, 4, 5, 9, 25, 49, 121].map(isPrime)).toEqual([
      false,
      false,
      true,
      true,
      false,
      true,
      false,
      false,
      false,
      false,
    ]);
  });

  test('squares of primes are composite, around every trial-division boundary', () => {
    for (const p of [127, 131, 65521, 65537, 94906249, 94906247]) {
      expect(isPrime(p)).toBe(true);
      expect(isPrime(p * p)).toBe(false);
    }
  });

  test('Carmichael numbers are composite', () => {
    for (const n of [
      561, 1105, 1729, 2465, 2821, 6601, 8911, 41041, 825265, 321197185, 5394826801, 232250619601,
    ]) {
      expect(isPrime(n)).toBe(false);
    }
  });

  test('strong pseudoprimes to the first k prime bases are composite', () => {
    // ψ_1 … ψ_8: each passes Miller–Rabin for the first k prime bases, which is why more bases follow.
    for (const n of [2047, 1373653, 25326001, 3215031751, 2152302898747, 3474749660383, 341550071728321]) {
      expect(isPrime(n)).toBe(false);
    }
  });

  test('large primes and composites near 2^53', () => {
    expect(isPrime(9007199254740881)).toBe(true);
    expect(isPrime(9007199254740991)).toBe(false); // 2^53 − 1 = 6361 × 69431 × 20394401
    expect(isPrime(9007199254740847)).toBe(true); // 2^53 − 145, the next prime down
    expect(isPrime(4294967291)).toBe(true); // the largest prime below 2^32
    expect(isPrime(4294967311)).toBe(true); // the smallest prime above 2^32
    expect(isPrime(4294967297)).toBe(false); // 2^32 + 1 = 641 × 6700417
    expect(isPrime(67280421310721)).toBe(true);
    expect(isPrime(94906247 * 94906249)).toBe(false); // the largest product of two primes below 2^53
  });

  test('agrees with a sieve on 0..10^6', () => {
    const limit = 1_000_000;
    const composite = new Uint8Array(limit + 1);
    composite[0] = composite[1] = 1;
    for (let p = 2; p * p <= limit; p++) {
      if (!composite[p]) for (let m = p * p; m <= limit; m += p) composite[m] = 1;
    }
    for (let n = 0; n <= limit; n++) {
      if (isPrime(n) !== !composite[n]) throw new Error(`isPrime(${n}) is wrong`);
    }
  });

  test('agrees with trial division on random n < 10^7 and on random products', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), (n) => isPrime(n) === isPrimeByTrialDivision(n)),
      { numRuns: 20_000 },
    );
    // Products of two primes above 2^16 survive trial division: only Miller–Rabin can catch them.
    const bigPrime = fc.integer({ min: 65_537, max: 94_906_265 }).filter(isPrimeByTrialDivision);
    fc.assert(
      fc.property(bigPrime, bigPrime, (p, q) => !isPrime(p * q)),
      { numRuns: 300 },
    );
  });
});
