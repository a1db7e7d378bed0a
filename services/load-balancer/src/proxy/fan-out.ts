// Tees one readable stream (a client's upload) to several writables (the nodes' requests). Guarantees:
// - Backpressure from the slowest branch: the source is paused while any branch still in the race has a full
//   buffer, so memory stays bounded by the branches' buffers and the body is never held whole.
// - A branch that fails (errors, or closes before it finished) is dropped and the others go on without it.
// - The promise never rejects. It resolves once the source has ended and every remaining branch has finished
//   (`finished` lists them), or once every branch was dropped (the rest of the source is left unread), or when
//   the source fails (`sourceFailed`: the client went away or sent less than it announced), in which case every
//   branch still running is destroyed, so no node stores a truncated body.
import type { Readable, Writable } from 'node:stream';

export interface FanOutResult {
  /** indexes of the branches that took the whole body */
  finished: number[];
  sourceFailed: boolean;
}

export function fanOut(source: Readable, branches: readonly Writable[]): Promise<FanOutResult> {
  return new Promise((resolve) => {
    const live = new Set(branches.keys());
    const full = new Set<number>();
    const finished = new Set<number>();
    const cleanups: Array<() => void> = [];
    let sourceEnded = false;
    let settled = false;

    const listen = (emitter: Readable | Writable, event: string, listener: (...args: unknown[]) => void) => {
      emitter.on(event, listener);
      cleanups.push(() => emitter.off(event, listener));
    };
    const settle = (sourceFailed: boolean) => {
      if (settled) return;
      settled = true;
      for (const cleanup of cleanups) cleanup();
      resolve({ finished: [...finished].sort((a, b) => a - b), sourceFailed });
    };
    const settleIfDone = () => {
      if (live.size === 0 && !sourceEnded) {
        source.pause();
        settle(false);
      } else if (sourceEnded && [...live].every((index) => finished.has(index))) settle(false);
    };
    const resumeIfFree = () => {
      if (full.size === 0 && !sourceEnded && !settled) source.resume();
    };
    const drop = (index: number) => {
      if (finished.has(index) || !live.delete(index)) return;
      full.delete(index);
      resumeIfFree();
      settleIfDone();
    };

    branches.forEach((branch, index) => {
      if (branch.destroyed) {
        live.delete(index); // failed before the body started: no event will say so again
        return;
      }
      listen(branch, 'drain', () => {
        full.delete(index);
        resumeIfFree();
      });
      listen(branch, 'finish', () => {
        finished.add(index);
        settleIfDone();
      });
      listen(branch, 'error', () => drop(index));
      listen(branch, 'close', () => drop(index));
    });

    const endBranches = () => {
      sourceEnded = true;
      for (const index of live) (branches[index] as Writable).end();
      settleIfDone();
    };
    const sourceFailed = () => {
      if (sourceEnded) return;
      for (const index of live) (branches[index] as Writable).destroy();
      settle(true);
    };
    listen(source, 'data', (chunk) => {
      for (const index of live) {
        if (!(branches[index] as Writable).write(chunk)) full.add(index);
      }
      if (full.size > 0) source.pause();
    });
    listen(source, 'end', endBranches);
    listen(source, 'error', sourceFailed);
    listen(source, 'close', sourceFailed);

    if (live.size === 0) settle(false);
    else if (source.readableEnded) endBranches();
    else source.resume();
  });
}
