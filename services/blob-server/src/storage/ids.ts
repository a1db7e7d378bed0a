// Where a blob lives on disk. Ids (checked by @backend-rebase/blob-contract) are [A-Za-z0-9._-]; they are
// spread by the MD5 of the id over 16 × 256 = 4,096 leaf folders (`a/3f/`), so each holds an even share: at the
// default MAX_BLOBS_IN_FOLDER of 10,000 that is room for 40 million blobs, and no folder on the way holds more
// than 256 entries.
//
// On a case-sensitive file system a record's file name is its id. On a case-insensitive one (found at start-up
// by a probe, blob-store.ts) `Abc` and `abc` would be one file, so names are encoded: every capital letter is
// written as `~` and its small letter (`Abc` → `~abc`), `~` being a character ids cannot hold. Such a name is
// at most twice the id; when it would pass the 255 bytes a file name may have, it is the small-letter id cut
// to 189 characters, `~~` (which the first form never holds) and the SHA-256 of the id: 255 bytes, still one
// name per id, and the id is then read from the record's header. The folder stays a function of the id.
import { createHash } from 'node:crypto';

/** The leaf folder of an id, relative to the blobs root: the first three hex digits of md5(id), as `a/3f`. */
export function folderOf(id: string): string {
  const digest = createHash('md5').update(id).digest('hex');
  return `${digest.slice(0, 1)}/${digest.slice(1, 3)}`;
}

const MAX_NAME_BYTES = 255;
const HASHED_PREFIX = MAX_NAME_BYTES - 2 - 64;

/** The file name of the record of `id`. */
export function fileNameOf(id: string, caseSensitive: boolean): string {
  if (caseSensitive) return id;
  const encoded = id.replace(/[A-Z]/g, (letter) => `~${letter.toLowerCase()}`);
  if (encoded.length <= MAX_NAME_BYTES) return encoded;
  const hash = createHash('sha256').update(id).digest('hex');
  return `${id.toLowerCase().slice(0, HASHED_PREFIX)}~~${hash}`;
}

/** What idOfFileName says of a name whose id only the record's header can tell. */
export const HASHED = Symbol('hashed');

/**
 * The id whose record has the file name `name`: a string (to be checked as an id), HASHED when only the
 * record's header can tell (check that fileNameOf gives `name` back), or undefined when no id has this name.
 */
export function idOfFileName(name: string, caseSensitive: boolean): string | typeof HASHED | undefined {
  if (caseSensitive) return name;
  if (/[A-Z]/.test(name)) return undefined;
  if (name.includes('~~')) return HASHED;
  if (/~(?![a-z])/.test(name)) return undefined;
  return name.replace(/~([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}
