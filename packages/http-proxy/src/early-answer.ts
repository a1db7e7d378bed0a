// An upstream that answers an upload before it has read all of it (a refusal from the headers: 413, 507, 400 …,
// or part-way: out of space) will not read the rest. Its answer is read whole before the upload is cut off, so
// the proxy can still relay it after the upstream connection is gone. Guarantee: at most MAX_EARLY_ANSWER_BYTES
// are held; a larger or broken-off answer is no answer (undefined), as it is not a refusal the proxy understands.
import type { Readable } from 'node:stream';

/** Largest early answer relayed; the blob API's refusals are a small problem+json. */
export const MAX_EARLY_ANSWER_BYTES = 64 * 1024;

/** The body, whole; undefined when it is larger than MAX_EARLY_ANSWER_BYTES or broke off. */
export async function readEarlyAnswer(body: Readable): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > MAX_EARLY_ANSWER_BYTES) {
        body.destroy();
        return undefined;
      }
      chunks.push(chunk);
    }
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks, length);
}
