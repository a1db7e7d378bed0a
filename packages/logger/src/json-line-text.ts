// The text of one log line without winston's format chain: the same bytes that jsonLine and winston's json
// format give the same entry (test/json-line-text.test.ts compares the two over generated entries), built in one
// pass over the fields, without the chain's copies of the entry and its stream of objects. Strings, numbers and
// booleans are written here; an object (or an error) is masked and serialised as the chain does it, with the same
// safe-stable-stringify settings. An entry this cannot write the same way is left to the chain: it returns
// undefined when a key may hold an email address (the chain moves a masked key to the end), a key is an array
// index (an object puts those first), a field is named `timestamp` (the chain keeps a truthy one) or
// `__proto__` (the chain's Object.assign drops it).
import { configure } from 'safe-stable-stringify';
import { isError, isThrownPrimitive, maskStrings, serializeError } from './json-line.js';
import type { LogFields } from './logger.js';
import { maskEmails, mayHoldEmail } from './mask-email.js';

// logform's json format: safe-stable-stringify in insertion order, a bigint written as a string.
const stringify = configure({ deterministic: false });
const bigintsAsStrings = (_key: string, value: unknown): unknown =>
  typeof value === 'bigint' ? value.toString() : value;

/** The head of every line of one logger: `service` is fixed, so its masked JSON is made once. */
export function serviceJson(service: string): string {
  return JSON.stringify(maskEmails(service));
}

/**
 * The line (without its newline) for an entry whose message is a string, or undefined when only the chain
 * writes it the same way.
 */
export function jsonLineText(
  timestamp: string,
  level: string,
  service: string,
  message: string,
  fields: LogFields,
): string | undefined {
  let text = `{"timestamp":"${timestamp}","level":"${level}","service":${service},"message":${JSON.stringify(maskEmails(message))}`;
  for (const key of Object.keys(fields)) {
    if (key === 'level' || key === 'message' || key === 'service') continue; // the call's and the logger's win
    const first = key.charCodeAt(0);
    if ((first >= 0x30 && first <= 0x39) || key === 'timestamp' || key === '__proto__' || mayHoldEmail(key)) {
      return undefined;
    }
    const value = fields[key];
    const json = key === 'err' || typeof value === 'object' ? valueJson(key, value) : primitiveJson(value);
    if (json !== undefined) text += `,${JSON.stringify(key)}:${json}`;
  }
  return `${text}}`;
}

function primitiveJson(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(maskEmails(value));
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `"${value.toString()}"`;
    default:
      return undefined; // undefined, a function or a symbol: JSON leaves the field out
  }
}

// An error (or anything under `err` that was thrown: a primitive there is an error too) becomes the chain's
// serialised error; then every string and key is masked and the value is written by logform's stringify.
function valueJson(key: string, value: unknown): string | undefined {
  const errorLike =
    isError(value) || (key === 'err' && isThrownPrimitive(value)) ? serializeError(value) : value;
  if (typeof errorLike !== 'object' || errorLike === null)
    return primitiveJson(errorLike) ?? nullJson(errorLike);
  return stringify(maskStrings(errorLike, []), bigintsAsStrings);
}

function nullJson(value: unknown): string | undefined {
  return value === null ? 'null' : undefined;
}

let lastMs = Number.NaN;
let lastIso = '';

/** `new Date().toISOString()`, made once per millisecond: lines logged in the same one share it. */
export function isoTimestamp(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}
