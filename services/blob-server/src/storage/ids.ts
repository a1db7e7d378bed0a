// Blob ids, and where a blob lives on disk. An id is 1..maxLength characters of `A-Z a-z 0-9 . _ -` and is
// neither `.` nor `..`, so it is always a single, harmless file name: no separator, no NUL, no way out of the
// data folder however the request encoded it (the router has already decoded `%2F` to `/`, which fails here).
// Ids are spread by the MD5 of the id over 16 × 256 = 4,096 leaf folders (`a/3f/`), so each holds an even
// share: at the default MAX_BLOBS_IN_FOLDER of 10,000 that is room for 40 million blobs, and no folder on the way
// holds more than 256 entries.
import { createHash } from 'node:crypto';

const ID_CHARACTERS = /^[A-Za-z0-9._-]+$/;

/** Why `id` is not a valid id, in words for the client; undefined when it is valid. */
export function invalidIdReason(id: string, maxLength: number): string | undefined {
  if (id.length === 0) return 'the blob id is empty';
  if (id.length > maxLength) {
    return `the blob id is ${id.length} characters long; MAX_ID_LENGTH is ${maxLength}`;
  }
  if (!ID_CHARACTERS.test(id)) {
    return `the blob id ${JSON.stringify(id)} may only contain A-Z a-z 0-9 . _ -`;
  }
  if (id === '.' || id === '..') return `the blob id ${JSON.stringify(id)} is reserved`;
  return undefined;
}

/** The leaf folder of an id, relative to the blobs root: the first three hex digits of md5(id), as `a/3f`. */
export function folderOf(id: string): string {
  const digest = createHash('md5').update(id).digest('hex');
  return `${digest.slice(0, 1)}/${digest.slice(1, 3)}`;
}

/** The id rule as JSON Schema, for route schemas and the OpenAPI description. */
export function idSchemaOptions(maxLength: number) {
  return {
    minLength: 1,
    maxLength,
    pattern: '^(?!\\.\\.?$)[A-Za-z0-9._-]+$',
    description: `1 to ${maxLength} characters of A-Z a-z 0-9 . _ -, neither "." nor ".."`,
  };
}
