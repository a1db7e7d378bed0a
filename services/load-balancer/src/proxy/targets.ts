// Who takes a write or a delete of one id: one slot per owner, in ring order, filled by the owner when it is
// healthy, else by its stand-in (the next healthy non-owner clockwise), as placement.ts's `serving` does.
// Guarantees: no node fills two slots, so the acknowledgements counted for a quorum are always from distinct
// nodes; a slot whose node fails before the body was sent can be refilled with the next stand-in not already a
// target (replace), until there is none left.
import type { Placement } from '../cluster/placement.js';

export interface Slot {
  /** the owner this slot is for */
  owner: string;
  /** the node filling it now (the owner or a stand-in); undefined when no healthy node was left */
  node: string | undefined;
}

export class Targets {
  readonly slots: Slot[];
  private readonly spare: string[];

  constructor(placement: Placement) {
    this.spare = [...placement.standIns];
    this.slots = placement.owners.map((owner) => ({
      owner,
      node: placement.healthyOwners.includes(owner) ? owner : this.spare.shift(),
    }));
  }

  /** Puts the next unused stand-in into `slot` (undefined when none is left). */
  replace(slot: Slot): string | undefined {
    slot.node = this.spare.shift();
    return slot.node;
  }

  /** How many slots have a node. */
  get filled(): number {
    return this.slots.filter((slot) => slot.node !== undefined).length;
  }
}
