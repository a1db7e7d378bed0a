// `pnpm lesson:hash-map [--hash fnv1a|md5] [--keys N] [--pattern sequential|random|words]`
//
// Fills a HashMap with N distinct keys and prints how they spread over the buckets, next to what an ideal hash
// would give: one that puts every key in a uniformly random bucket, so that the number of keys in a bucket follows
// a Poisson distribution with mean α, the load factor. A hash whose numbers sit close to the ideal column is as good
// as a hash can be for these keys. Then one rough timing of putting and getting every key, against `Map`
// (`pnpm bench hash-map` measures carefully). Bad flags: a message on stderr and exit code 2.
import { parseArgs } from 'node:util';
import { HashMap } from './hash-map.js';
import { fnv1a, md5Hash, type HashFunction } from './hashes.js';
import { seededFloats } from '@backend-rebase/seeded-random';

const USAGE = `usage: pnpm lesson:hash-map [--hash fnv1a|md5] [--keys N] [--pattern sequential|random|words]

  --hash      the hash function (default fnv1a)
  --keys      how many distinct keys to put, 1 to 10,000,000 (default 100,000)
  --pattern   sequential: user-0, user-1, …   random: 8 to 16 random letters and digits
              words: made-up words built from syllables, like dictionary words (default sequential)`;

const HASHES: Record<string, HashFunction> = { fnv1a, md5: md5Hash };
const PATTERNS: Record<string, (count: number) => string[]> = { sequential, random, words };
const MAX_KEYS = 10_000_000;
/** Histogram rows: chain lengths 0 … 7, then "8+". */
const HISTOGRAM_ROWS = 8;

class UsageError extends Error {}

function parseCommandLine(args: string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        hash: { type: 'string', default: 'fnv1a' },
        keys: { type: 'string', default: '100000' },
        pattern: { type: 'string', default: 'sequential' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const hash = HASHES[values.hash];
  if (hash === undefined) throw new UsageError(`--hash must be fnv1a or md5, got "${values.hash}"`);
  const makeKeys = PATTERNS[values.pattern];
  if (makeKeys === undefined) {
    throw new UsageError(`--pattern must be sequential, random or words, got "${values.pattern}"`);
  }
  const keys = Number(values.keys.replaceAll('_', ''));
  // Digits (and `_` separators) only: Number() alone would also take "1e3" and "0x10".
  if (!/^\d[\d_]*$/.test(values.keys) || !Number.isInteger(keys) || keys < 1 || keys > MAX_KEYS) {
    throw new UsageError(`--keys must be an integer from 1 to ${int(MAX_KEYS)}, got "${values.keys}"`);
  }
  return { help: values.help, hashName: values.hash, hash, pattern: values.pattern, makeKeys, keys };
}

function sequential(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `user-${i}`);
}

/** Random keys from a fixed seed: the same run gives the same keys, so results can be compared. */
function random(count: number): string[] {
  const next = seededFloats(42);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const keys = new Set<string>();
  while (keys.size < count) {
    let key = '';
    const length = 8 + Math.floor(next() * 9);
    for (let i = 0; i < length; i++) key += alphabet[Math.floor(next() * alphabet.length)];
    keys.add(key);
  }
  return [...keys];
}

/** The i-th word spells i in base 24 with a syllable per digit: short keys that share many letters. */
function words(count: number): string[] {
  const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'to', 'vi', 'ba', 'de', 'fo', 'gu'];
  const all = syllables.flatMap((syllable) => [syllable, `${syllable}n`]);
  return Array.from({ length: count }, (_, i) => {
    let word = '';
    let rest = i;
    do {
      word += all[rest % all.length];
      rest = Math.floor(rest / all.length);
    } while (rest > 0);
    return word;
  });
}

/** Share of buckets holding exactly k keys when keys land uniformly at random: the Poisson probability. */
function poisson(alpha: number, k: number): number {
  let p = Math.exp(-alpha);
  for (let i = 1; i <= k; i++) p *= alpha / i;
  return p;
}

function elapsedMs(run: () => void): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const percent = (share: number) => `${(share * 100).toFixed(1)} %`;

function main(): void {
  const options = parseCommandLine(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const keys = options.makeKeys(options.keys);
  const map = new HashMap<string, number>({ hash: options.hash });
  const putMs = elapsedMs(() => keys.forEach((key, i) => map.put(key, i)));
  let found = 0;
  const getMs = elapsedMs(() => keys.forEach((key) => (found += map.get(key) >= 0 ? 1 : 0)));
  const builtIn = new Map<string, number>();
  const mapPutMs = elapsedMs(() => keys.forEach((key, i) => builtIn.set(key, i)));
  const mapGetMs = elapsedMs(() => keys.forEach((key) => (found += builtIn.has(key) ? 1 : 0)));
  if (found !== 2 * keys.length) throw new Error('a key went missing');

  const lengths = map.chainLengths();
  const buckets = lengths.length;
  const alpha = map.size / buckets;
  const histogram = new Array<number>(HISTOGRAM_ROWS + 1).fill(0);
  let longest = 0;
  for (const length of lengths) {
    longest = Math.max(longest, length);
    const row = Math.min(length, HISTOGRAM_ROWS);
    histogram[row] = (histogram[row] ?? 0) + 1;
  }
  const empty = histogram[0] ?? 0;
  const idealEmpty = poisson(alpha, 0);

  console.log(
    `${int(map.size)} ${options.pattern} keys (${keys.slice(0, 3).join(', ')}, …), hash ${options.hashName}`,
  );
  console.log('');
  console.log(`buckets:            ${int(buckets)}`);
  console.log(`load factor:        ${alpha.toFixed(3)}`);
  console.log(
    `empty buckets:      ${int(empty)} (${percent(empty / buckets)}; ideal hash ${percent(idealEmpty)})`,
  );
  console.log(`longest chain:      ${longest}`);
  console.log(
    `mean chain length:  ${(map.size / (buckets - empty)).toFixed(3)} in non-empty buckets ` +
      `(ideal hash ${(alpha / (1 - idealEmpty)).toFixed(3)})`,
  );
  console.log('');
  console.log('chain length     buckets   ideal hash');
  const widest = Math.max(...histogram);
  histogram.forEach((count, length) => {
    const label = length === HISTOGRAM_ROWS ? `${length}+` : String(length);
    const idealShare =
      length === HISTOGRAM_ROWS
        ? 1 - Array.from({ length }, (_, k) => poisson(alpha, k)).reduce((a, b) => a + b, 0)
        : poisson(alpha, length);
    const bar = '#'.repeat(Math.round((count / widest) * 30));
    console.log(
      `${label.padStart(12)} ${int(count).padStart(11)} ${int(idealShare * buckets).padStart(12)}  ${bar}`,
    );
  });
  console.log('');
  const rate = (ms: number) => `${((keys.length / ms) * 1e-3).toFixed(2)} M/s`;
  console.log(
    `put every key:      ${putMs.toFixed(1)} ms (${rate(putMs)}); Map.set ${mapPutMs.toFixed(1)} ms`,
  );
  console.log(
    `get every key:      ${getMs.toFixed(1)} ms (${rate(getMs)}); Map.get ${mapGetMs.toFixed(1)} ms`,
  );
  console.log('(one cold run each; `pnpm bench hash-map` measures carefully)');
}

try {
  main();
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`error: ${error.message}\n\n${USAGE}\n`);
  process.exitCode = 2;
}
