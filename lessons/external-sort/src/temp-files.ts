// Where the sort's files live while it works, and how they disappear.
//
// Runs go to a fresh folder (mkdtemp) in the system temp directory or inside --tmp; removing that folder removes
// every run, whatever stage the sort reached, and never touches anything it did not create. The output is
// written under a hidden temporary name next to the final one, then renamed: on the same filesystem a rename
// is atomic, so the output path holds either the old file or the complete new one, never half a sort.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

export async function createTempDir(parent = tmpdir()): Promise<string> {
  return mkdtemp(join(parent, 'external-sort-'));
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A hidden name in the output's folder, so that the final rename stays on one filesystem. */
export function partialOutputPath(output: string): string {
  return join(dirname(output), `.${basename(output)}.${randomBytes(4).toString('hex')}.partial`);
}
