// The shape of every log entry, for stdout and Logz.io alike: one JSON object per line, starting with timestamp,
// level, service and message so lines read well in a terminal, followed by the metadata.
//   - Error objects in the metadata become plain objects with their stack (JSON.stringify would give `{}`).
//   - Every string, however deep, and every key passes through maskEmails: no entry carries an email address's
//     local part, not even one inside an error message or a URL that nobody thought to mask.
//   - Circular metadata cannot break a line.
import winston from 'winston';
import { maskEmails } from './mask-email.js';

export interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  code?: unknown;
  cause?: unknown;
}

export function serializeError(err: Error): SerializedError {
  const { code } = err as { code?: unknown };
  return {
    type: err.name,
    message: err.message,
    stack: err.stack,
    ...(code === undefined ? {} : { code }),
    ...(err.cause === undefined
      ? {}
      : { cause: err.cause instanceof Error ? serializeError(err.cause) : err.cause }),
  };
}

// Only the string-keyed fields are touched: winston keeps its own bookkeeping under symbol keys.
const errorsAsObjects = winston.format((info) => {
  for (const [key, value] of Object.entries(info)) {
    if (value instanceof Error) info[key] = serializeError(value);
  }
  return info;
});

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
function maskStrings(value: unknown, ancestors: object[]): unknown {
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
