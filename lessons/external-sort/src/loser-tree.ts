// A tree of losers (Knuth, TAOCP vol. 3, 5.4.1): the selection structure of a k-way merge.
//
// There are k leaves, one per input (0..k−1), and k−1 inner nodes. Each inner node remembers the input that
// *lost* the match played there; the overall winner (the smallest current element) sits above the root. When
// the winner's input moves on to its next element, only the matches on the path from its leaf to the root are
// replayed, each against the loser stored there: ⌈log2 k⌉ comparisons, one per level and never two (a binary
// heap's sift-down compares both children and then the larger one, about twice as many), and no element moves
// in memory but the input numbers.
//
// What it guarantees:
//   - `winner` is the input whose current element is smallest by `compare`; equal elements go to the input with
//     the lower number, so a merge that numbers its inputs in order is stable.
//   - an input marked exhausted never wins again; when all are, `winner` is −1.
//   - the tree holds input numbers only (an Int32Array), so it allocates nothing after it is built.

/** Negative when input a's current element sorts before input b's, positive after, 0 when equal. */
export type InputComparator = (a: number, b: number) => number;

export class LoserTree {
  /** tree[1..k−1]: the loser of the match at each inner node; tree[0]: the overall winner. */
  private readonly tree: Int32Array;
  private readonly exhausted: Uint8Array;
  private live: number;

  /**
   * Plays the first round between all inputs. Each input must have a current element (or be exhausted
   * beforehand with `exhausted`, listing those that are empty).
   */
  constructor(
    readonly size: number,
    private readonly compare: InputComparator,
    exhausted: readonly number[] = [],
  ) {
    this.tree = new Int32Array(Math.max(1, size));
    this.exhausted = new Uint8Array(size);
    for (const input of exhausted) this.exhausted[input] = 1;
    this.live = size - exhausted.length;
    if (size === 0) {
      this.tree[0] = -1;
      return;
    }
    // Winners of the subtrees, bottom up: leaf j is node size + j, the parent of node i is i >> 1.
    const winners = new Int32Array(2 * size);
    for (let j = 0; j < size; j++) winners[size + j] = j;
    for (let node = size - 1; node >= 1; node--) {
      const left = winners[2 * node] as number;
      const right = winners[2 * node + 1] as number;
      const leftWins = this.beats(left, right);
      winners[node] = leftWins ? left : right;
      this.tree[node] = leftWins ? right : left;
    }
    this.tree[0] = size === 1 ? 0 : (winners[1] as number);
  }

  /** The input holding the smallest current element, or −1 when every input is exhausted. */
  get winner(): number {
    return this.live === 0 ? -1 : (this.tree[0] as number);
  }

  /** The winner's input has moved to its next element: replay its path to find the new winner. */
  replay(): void {
    const { tree, size } = this;
    let winner = tree[0] as number;
    for (let node = (winner + size) >> 1; node > 0; node >>= 1) {
      const loser = tree[node] as number;
      if (this.beats(loser, winner)) {
        tree[node] = winner;
        winner = loser;
      }
    }
    tree[0] = winner;
  }

  /** The winner's input has no more elements: it loses every match from now on. */
  exhaustWinner(): void {
    const winner = this.tree[0] as number;
    if (this.live === 0 || this.exhausted[winner] === 1) return;
    this.exhausted[winner] = 1;
    this.live--;
    this.replay();
  }

  /** Whether input a's element goes out before input b's: smaller, or equal and from a lower-numbered input. */
  private beats(a: number, b: number): boolean {
    const { exhausted } = this;
    if (exhausted[a] === 1) return false;
    if (exhausted[b] === 1) return true;
    const order = this.compare(a, b);
    return order < 0 || (order === 0 && a < b);
  }
}
