// Command-line parsing for the two lesson CLIs. Every mistake becomes a UsageError whose message names the
// flag and the value at fault; the CLIs print it with the usage text and exit with code 2.
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Decimal units are powers of 10 (like disk sizes), binary ones powers of 2 (like RAM). */
const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KIB: KiB,
  MIB: MiB,
  GIB: GiB,
};

/** The smallest --memory: below it the per-run buffers get too small to be worth the bookkeeping. */
const MIN_MEMORY_BYTES = MiB;

/**
 * The longest --max-length. The generator holds a few lines of that length at once; beyond this a typo (an extra
 * zero or two) would fail on an allocation instead of with a message.
 */
const MAX_LINE_LENGTH = 100_000_000;

/** "100MB" → 100_000_000, "64MiB" → 67_108_864, "1.5GiB", "4096" (bytes). Units are case-insensitive. */
function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[match?.[2]?.toUpperCase() ?? ''];
  if (!match || unit === undefined) {
    throw new UsageError(
      `--memory expects a size such as 100MB, 64MiB or 1GiB (MB = 10^6 bytes, MiB = 2^20), got "${text}"`,
    );
  }
  return Math.floor(Number(match[1]) * unit);
}

export function formatMiB(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

export interface SortArgs {
  input: string;
  output: string;
  memoryBytes: number;
  unique: boolean;
  tmp: string | undefined;
}

export const SORT_USAGE = `usage: pnpm lesson:sort --input FILE --output FILE --memory SIZE [--unique] [--tmp DIR]

  --input FILE    the lines to sort (any size)
  --output FILE   where the sorted lines go (written to a temporary name, renamed at the end)
  --memory SIZE   memory budget for the lines, e.g. 100MB, 64MiB (at least 1 MiB)
  --unique        keep one copy of equal lines (like sort -u)
  --tmp DIR       where to make the temporary folder for runs (default: the system temp directory)`;

export function parseSortArgs(argv: string[]): SortArgs {
  const values = parseFlags(argv, {
    input: { type: 'string' },
    output: { type: 'string' },
    memory: { type: 'string' },
    unique: { type: 'boolean', default: false },
    tmp: { type: 'string' },
  });
  const input = required(values.input, '--input');
  const output = required(values.output, '--output');
  const memoryBytes = parseSize(required(values.memory, '--memory'));
  if (memoryBytes < MIN_MEMORY_BYTES) {
    throw new UsageError(
      `--memory must be at least 1MiB (${MIN_MEMORY_BYTES} bytes), got "${values.memory}"`,
    );
  }
  const tmp = typeof values.tmp === 'string' ? values.tmp : undefined;
  return { input, output, memoryBytes, unique: values.unique === true, tmp };
}

export interface GenLinesArgs {
  lines: number;
  maxLength: number;
  duplicates: number;
  seed: number;
  out: string;
}

export const GEN_LINES_USAGE = `usage: pnpm lesson:gen-lines --lines N --max-length L [--duplicates RATIO] [--seed S] --out FILE

  --lines N            how many lines
  --max-length L       each line has 1..L printable ASCII characters
  --duplicates RATIO   fraction of lines that repeat an earlier line, 0..1 (default 0)
  --seed S             an integer; the same seed gives the same file (default 1)
  --out FILE           where to write`;

export function parseGenLinesArgs(argv: string[]): GenLinesArgs {
  const values = parseFlags(argv, {
    lines: { type: 'string' },
    'max-length': { type: 'string' },
    duplicates: { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
  });
  const duplicates = Number(values.duplicates);
  // The pattern rejects what Number() would quietly turn into a ratio: "" (0), "0x1", "1e-1".
  if (!/^\d*\.?\d+$/.test(String(values.duplicates)) || !(duplicates >= 0 && duplicates <= 1)) {
    throw new UsageError(`--duplicates expects a ratio between 0 and 1, got "${values.duplicates}"`);
  }
  return {
    lines: integer(required(values.lines, '--lines'), '--lines', 0),
    maxLength: integer(required(values['max-length'], '--max-length'), '--max-length', 1, MAX_LINE_LENGTH),
    duplicates,
    seed: integer(String(values.seed), '--seed', 0),
    out: required(values.out, '--out'),
  };
}

type FlagSpec = Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>;

function parseFlags(argv: string[], options: FlagSpec): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    // parseArgs already names the unknown flag or the missing value; keep its words.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function required(value: string | boolean | undefined, flag: string): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

/** Decimal digits only: Number() alone would also take "1e3", "0x10" and " 7 ". */
function integer(text: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`${flag} expects an integer ${range}, got "${text}"`);
  }
  return value;
}
