// The balancer's version stamps for X-Blob-Version (docs/load-balancer.md).
//
// Guarantees:
// - Strictly increasing: every stamp is above the previous one, even when the system clock steps back.
// - Above everything seen: observe(v) (every version in a node's answer) makes the next stamp higher than v, so a
//   balancer restarted with a clock behind the versions it wrote catches up on the first answer it reads (and on
//   the first 409 a node gives it).
// - Never shared between balancers: a stamp is ≡ slot (mod 256), and the slot comes from BALANCER_ID: the id
//   itself when it is an integer 0..255, else md5(id) mod 256 (the digest read as a big-endian number, so its last
//   byte). Two balancers with different integer ids, or different hashed slots, never stamp the same version;
//   give balancers the ids 0, 1, 2… to be sure (two hashed ids share a slot with probability 1/256).
// - Close to the wall clock in microseconds, and exact as JavaScript numbers: stamps stay below 2^53 (until the
//   year 2255), so the blob server parses them exactly. A version so high that stamps above it would not stay
//   exact is not observed.
import { createHash } from 'node:crypto';

export const SLOTS = 256;

/** The residue (mod 256) every stamp of a balancer with this id has. */
export function slotOf(balancerId: string): number {
  if (/^\d{1,3}$/.test(balancerId) && Number(balancerId) < SLOTS) return Number(balancerId);
  const digest = createHash('md5').update(balancerId).digest();
  return digest[digest.length - 1] as number;
}

/** The highest version after which a stamp is still a safe integer. */
const HIGHEST_OBSERVABLE = Number.MAX_SAFE_INTEGER - 2 * SLOTS;

export class VersionClock {
  readonly slot: number;
  private last = 0;

  constructor(
    balancerId: string,
    private readonly nowMicros: () => number = wallClockMicros,
  ) {
    this.slot = slotOf(balancerId);
  }

  /** A new version: the smallest v ≥ max(now µs, last + 1) with v ≡ slot (mod 256). */
  next(): number {
    const floor = Math.max(this.nowMicros(), this.last + 1);
    this.last = floor + ((((this.slot - floor) % SLOTS) + SLOTS) % SLOTS);
    return this.last;
  }

  /** A version some node holds (or some other balancer stamped): the next stamp will be above it. */
  observe(version: number): void {
    if (Number.isSafeInteger(version) && version <= HIGHEST_OBSERVABLE && version > this.last)
      this.last = version;
  }
}

function wallClockMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}
