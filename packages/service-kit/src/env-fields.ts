// Schemas for the usual kinds of environment variable, to build a config schema from:
//
//   const Config = Type.Object({
//     PORT: Env.port(3001),
//     MAX_BLOB_SIZE: Env.bytes('10MiB'),     // → 10485760
//     INTERNAL_TOKEN: Env.optionalString(),
//   });
//
// Each `description` reads as what the variable expects; loadConfig puts it in its error messages
// ("PORT must be an integer from 1 to 65535, got "abc""). Sizes and durations are decoded from text with units,
// so the config holds plain numbers: bytes, and milliseconds.
import { Type } from 'typebox';

const BYTE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1000,
  kB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};
const BYTES = /^(\d+) ?(B|KB|kB|MB|GB|KiB|MiB|GiB)?$/;

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+) ?(ms|s|m|h|d)$/;

/** `10MiB` → 10485760, `1KB` → 1000, `512` → 512. Only called on text that matched BYTES. */
export function parseBytes(text: string): number {
  const [, amount = '', unit = 'B'] = BYTES.exec(text) ?? [];
  return Number(amount) * (BYTE_UNITS[unit] ?? NaN);
}

/** `500ms` → 500, `30s` → 30000, `5m` → 300000. Only called on text that matched DURATION. */
function parseDuration(text: string): number {
  const [, amount = '', unit = ''] = DURATION.exec(text) ?? [];
  return Number(amount) * (DURATION_UNITS[unit] ?? NaN);
}

function withDefault<T>(fallback: T | undefined): { default?: T } {
  return fallback === undefined ? {} : { default: fallback };
}

export const Env = {
  port: (fallback: number) =>
    Type.Integer({
      minimum: 1,
      maximum: 65535,
      default: fallback,
      description: 'an integer from 1 to 65535',
    }),

  /** A whole number within [minimum, maximum]; the bounds appear in the error message. */
  integer: (fallback: number, { minimum = 0, maximum }: { minimum?: number; maximum?: number } = {}) =>
    Type.Integer({
      minimum,
      ...(maximum === undefined ? {} : { maximum }),
      default: fallback,
      description:
        maximum === undefined
          ? `an integer of at least ${minimum}`
          : `an integer from ${minimum} to ${maximum}`,
    }),

  host: (fallback: string) =>
    Type.String({ pattern: '^[^\\s/]+$', default: fallback, description: 'a host name or IP address' }),

  /** An absolute URL with a scheme (http://…, postgres://…); required when there is no default. */
  url: (fallback?: string) =>
    Type.String({
      format: 'url',
      pattern: '^[a-zA-Z][a-zA-Z0-9+.-]*://',
      ...withDefault(fallback),
      description: 'an absolute URL such as http://localhost:3000',
    }),

  /** Bytes, as a plain number or with a unit: KB/MB/GB are powers of 1000, KiB/MiB/GiB powers of 1024. */
  bytes: (fallback: string | number) =>
    Type.Codec(
      Type.String({
        pattern: BYTES.source,
        default: String(fallback),
        description: 'a size in bytes such as 1048576, 500KB or 10MiB',
      }),
    )
      .Decode(parseBytes)
      .Encode((bytes) => String(bytes)),

  /** A duration with its unit (ms, s, m, h, d), decoded to milliseconds. */
  duration: (fallback: string) =>
    Type.Codec(
      Type.String({
        pattern: DURATION.source,
        default: fallback,
        description: 'a duration such as 500ms, 30s, 5m or 1h',
      }),
    )
      .Decode(parseDuration)
      .Encode((ms) => `${ms}ms`),

  boolean: (fallback: boolean) => Type.Boolean({ default: fallback, description: 'true, false, 1 or 0' }),

  /** A non-empty string; required when there is no default. */
  string: (fallback?: string) =>
    Type.String({ minLength: 1, ...withDefault(fallback), description: 'a non-empty string' }),

  /** A string that may be absent (an unset or empty variable gives undefined). */
  optionalString: () => Type.Optional(Type.String()),
};
