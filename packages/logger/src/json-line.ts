// The shape of every log entry, for stdout and Logz.io alike: one JSON object per line, starting with timestamp,
// level, service and message so lines read well in a terminal, followed by the metadata.
//   - Error objects in the metadata, and whatever is logged under `err`, become plain objects with their message,
//     stack and causes (JSON.stringify would give `{}`).
//   - Every string, however deep, and every key passes through maskEmails: no entry carries an email address's
//     local part, not even one inside an error message or a URL that nobody thought to mask.
//   - Circular metadata cannot break a line.
import { inspect, types } from 'node:util';
import winston from 'winston';
import { maskEmails } from './mask-email.js';

export interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  code?: unknown;
  /** the error's cause, serialised the same way (a cause that is not an Error too) */
  cause?: SerializedError;
  /** an AggregateError's errors */
  errors?: SerializedError[];
}

// A cause chain longer than this is cut: it is a loop that is not a cycle of the same objects, or not worth reading.
const MAX_CAUSES = 10;

/**
 * An error as a log line carries it: its type, message and stack, its `code` when it has one, its cause (however
 * deep, cut at a cycle) and an AggregateError's errors. Anything thrown that is not an Error (a string, an object
 * from a callback API) still gives a type and a message.
 */
export function serializeError(error: unknown): SerializedError {
  return serialize(error, []);
}

function serialize(error: unknown, seen: unknown[]): SerializedError {
  if (!isError(error)) {
    return {
      type: error === null ? 'null' : typeof error,
      message: typeof error === 'string' ? error : inspect(error, { depth: 2, breakLength: Infinity }),
    };
  }
  const { code } = error as { code?: unknown };
  const inside = [...seen, error];
  return {
    type: error.name,
    message: error.message,
    stack: error.stack,
    ...(code === undefined ? {} : { code }),
    ...(error.cause === undefined ? {} : { cause: serializeCause(error.cause, inside) }),
    ...(error instanceof AggregateError && Array.isArray(error.errors)
      ? { errors: (error.errors as unknown[]).map((each) => serializeCause(each, inside)) }
      : {}),
  };
}

function serializeCause(cause: unknown, seen: unknown[]): SerializedError {
  if (seen.includes(cause)) return { type: 'Circular', message: '[Circular]' };
  if (seen.length > MAX_CAUSES) return { type: 'Truncated', message: `[more than ${MAX_CAUSES} causes]` };
  return serialize(cause, seen);
}

// instanceof misses errors made in another realm (a vm context, a worker's structured clone keeps them Errors).
export function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

// Only the string-keyed fields are touched: winston keeps its own bookkeeping under symbol keys. `err` is the key
// errors are logged under, so a thrown string or number there is written as an error too; an object there is
// written as it is (a thrown plain object, or an error Fastify's serializer has already made into one).
const errorsAsObjects = winston.format((info) => {
  for (const [key, value] of Object.entries(info)) {
    if (isError(value) || (key === 'err' && isThrownPrimitive(value))) info[key] = serializeError(value);
  }
  return info;
});

export function isThrownPrimitive(value: unknown): boolean {
  return value !== undefined && (typeof value !== 'object' || value === null);
}

const emailsMasked = winston.format((info) => {
  for (const [key, value] of Object.entries(info)) {
    const masked = maskStrings(value, []);
    const maskedKey = maskEmails(key);
    if (maskedKey !== key) {
      delete info[key];
      info[maskedKey] = masked;
    } else if (masked !== value) {
      info[key] = masked;
    }
  }
  return info;
});

const headFieldsFirst = winston.format((info) => {
  const { timestamp, level, service, message, ...metadata } = info;
  return Object.assign({ timestamp, level, service, message }, metadata);
});

export const jsonLine = winston.format.combine(
  winston.format.errors({ stack: true }),
  winston.format.timestamp(),
  errorsAsObjects(),
  emailsMasked(),
  headFieldsFirst(),
  winston.format.json({ deterministic: false }),
);

/**
 * The value with its strings, object keys included, masked, as JSON will write it: an object with toJSON (a Date,
 * a URL) by what toJSON returns, any other object by its own enumerable properties. A value is copied only when
 * something inside it changes, so the usual entry, with no address in it, allocates nothing.
 */
export function maskStrings(value: unknown, ancestors: object[]): unknown {
  if (typeof value === 'string') return maskEmails(value);
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.includes(value)) return '[Circular]';

  const inside = [...ancestors, value];
  const { toJSON } = value as { toJSON?: unknown };
  if (typeof toJSON === 'function') {
    const json: unknown = toJSON.call(value);
    const masked = maskStrings(json, inside);
    return masked === json ? value : masked;
  }
  if (Array.isArray(value)) {
    const items = value as unknown[];
    let copy: unknown[] | undefined;
    items.forEach((item, index) => {
      const masked = maskStrings(item, inside);
      if (masked !== item) (copy ??= [...items])[index] = masked;
    });
    return copy ?? items;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const masked = maskStrings(item, inside);
    const maskedKey = maskEmails(key);
    if (maskedKey !== key) {
      copy ??= { ...value };
      delete copy[key];
      copy[maskedKey] = masked;
    } else if (masked !== item) {
      (copy ??= { ...value })[key] = masked;
    }
  }
  return copy ?? value;
}
