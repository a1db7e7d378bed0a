// Where a blob lives on disk. Ids (checked by @backend-rebase/blob-contract) are plain file names; they are
// spread by the MD5 of the id over 16 × 256 = 4,096 leaf folders (`a/3f/`), so each holds an even share: at the
// default MAX_BLOBS_IN_FOLDER of 10,000 that is room for 40 million blobs, and no folder on the way holds more
// than 256 entries.
import { createHash } from 'node:crypto';

/** The leaf folder of an id, relative to the blobs root: the first three hex digits of md5(id), as `a/3f`. */
export function folderOf(id: string): string {
  const digest = createHash('md5').update(id).digest('hex');
  return `${digest.slice(0, 1)}/${digest.slice(1, 3)}`;
}
