// Exact primality for every safe integer (0 ≤ n ≤ 2^53 − 1): deterministic, no randomness, no false answers.
//
// 1. Trial division by the odd primes below 128 (and by 2) settles most numbers: about 88% of random integers
//    have such a factor, and every n below 127² = 16129 is decided here outright.
// 2. What survives goes through Miller–Rabin with the first prime bases 2, 3, 5, 7, … in order. Miller–Rabin
//    alone is a probabilistic test, but for the first k prime bases the smallest composite that passes them all
//    (the "strong pseudoprime" ψ_k) has been found by exhaustive search (Jaeschke 1993; Zhang & Tang 2003):
//    a number below ψ_k that passes those k bases is prime, with no exception. ψ_9 = 3,825,123,056,546,413,051 is
//    above 2^53, so the nine bases 2…23 decide every safe integer exactly; smaller numbers stop earlier.
//
// Miller–Rabin needs (a·b) mod n. Below 2^32 that is done with Numbers, splitting b in 16-bit halves so that no
// product exceeds 2^53 (the largest integer a double holds exactly). Above 2^32 the product of two residues
// can reach 2^106, so it is done with BigInt: slower, but plainly exact.

/** Smallest odd composite that passes the strong test for all of the first k prime bases (index k − 1). */
const MILLER_RABIN_BASES = [2, 3, 5, 7, 11, 13, 17, 19, 23];
const STRONG_PSEUDOPRIME_BOUNDS = [
  2047,
  1_373_653,
  25_326_001,
  3_215_031_751,
  2_152_302_898_747,
  3_474_749_660_383,
  341_550_071_728_321,
  341_550_071_728_321,
  // ψ_9 = 3,825,123,056,546,413,051 > 2^53: every safe integer is below it.
  Number.POSITIVE_INFINITY,
];

const TRIAL_PRIMES_BELOW = 128;

/**
 * The odd primes below TRIAL_PRIMES_BELOW, packed into groups whose product stays below 2^31. One floating-point
 * remainder `n % product` per group (slow for large n: it is a library call) leaves a small integer, and the
 * per-prime remainders of that are fast integer operations.
 */
const TRIAL_GROUPS: { product: number; primes: number[] }[] = (() => {
  const groups: { product: number; primes: number[] }[] = [];
  for (let candidate = 3; candidate < TRIAL_PRIMES_BELOW; candidate += 2) {
    if (groups.some((group) => group.primes.some((p) => candidate % p === 0))) continue;
    const last = groups.at(-1);
    if (last && last.product * candidate < 2 ** 31) {
      last.product *= candidate;
      last.primes.push(candidate);
    } else {
      groups.push({ product: candidate, primes: [candidate] });
    }
  }
  return groups;
})();

/** Below this, a number with no prime factor < TRIAL_PRIMES_BELOW is prime. */
const TRIAL_DIVISION_DECIDES_BELOW = (TRIAL_PRIMES_BELOW - 1) ** 2;

/** Whether `n` is prime. `n` must be a safe non-negative integer (the parser guarantees it). */
export function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (const { product, primes } of TRIAL_GROUPS) {
    const residue = n % product;
    for (const p of primes) {
      if (residue % p === 0) return n === p;
    }
  }
  if (n < TRIAL_DIVISION_DECIDES_BELOW) return true;
  return n < 2 ** 32 ? millerRabin32(n) : millerRabinBig(n);
}

/** n − 1 = d · 2^s with d odd. */
function splitPowerOfTwo(n: number): { d: number; s: number } {
  let d = n - 1;
  let s = 0;
  while (d % 2 === 0) {
    d /= 2;
    s++;
  }
  return { d, s };
}

/** Deterministic Miller–Rabin for odd n < 2^32, in Number arithmetic. */
function millerRabin32(n: number): boolean {
  const { d, s } = splitPowerOfTwo(n);
  for (let i = 0; i < MILLER_RABIN_BASES.length; i++) {
    let x = powMod32(MILLER_RABIN_BASES[i]!, d, n);
    if (x !== 1 && x !== n - 1) {
      for (let r = 1; r < s && x !== n - 1; r++) x = mulMod32(x, x, n);
      if (x !== n - 1) return false; // `a` is a witness: n is composite
    }
    if (n < STRONG_PSEUDOPRIME_BOUNDS[i]!) return true;
  }
  return true;
}

/** (a · b) mod n for a, b < n < 2^32: every intermediate stays below 2^49, so doubles hold it exactly. */
function mulMod32(a: number, b: number, n: number): number {
  return remainder(remainder(a * (b >>> 16), n) * 65536 + a * (b & 0xffff), n);
}

/**
 * x mod m for integers x ≥ 0, m > 0 with x + m ≤ 2^53. `%` on doubles above 2^31 is a library call (fmod) that
 * is slow when x is much larger than m; a division is not. The rounded quotient is ⌊x/m⌋ or one more, and in
 * both cases q·m ≤ x + m ≤ 2^53 is exact, so the result is exact once a negative remainder is corrected.
 */
function remainder(x: number, m: number): number {
  const r = x - Math.floor(x / m) * m;
  return r < 0 ? r + m : r;
}

function powMod32(base: number, exponent: number, n: number): number {
  let result = 1;
  let b = base % n;
  for (let e = exponent; e > 0; e >>>= 1) {
    if (e & 1) result = mulMod32(result, b, n);
    b = mulMod32(b, b, n);
  }
  return result;
}

/** Deterministic Miller–Rabin for odd 2^32 ≤ n < 2^53, in BigInt arithmetic. */
function millerRabinBig(value: number): boolean {
  const { d: dNumber, s } = splitPowerOfTwo(value);
  const n = BigInt(value);
  const d = BigInt(dNumber);
  const minusOne = n - 1n;
  for (let i = 0; i < MILLER_RABIN_BASES.length; i++) {
    let x = powModBig(BigInt(MILLER_RABIN_BASES[i]!), d, n);
    if (x !== 1n && x !== minusOne) {
      for (let r = 1; r < s && x !== minusOne; r++) x = (x * x) % n;
      if (x !== minusOne) return false;
    }
    if (value < STRONG_PSEUDOPRIME_BOUNDS[i]!) return true;
  }
  return true;
}

function powModBig(base: bigint, exponent: bigint, n: bigint): bigint {
  let result = 1n;
  let b = base % n;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % n;
    b = (b * b) % n;
  }
  return result;
}
