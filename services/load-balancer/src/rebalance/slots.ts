// A fixed number of slots, handed out first come first served: at most `size` tasks run at once, and a task
// that waits gets the next free slot before any task that asked after it. The rebalancer's passes and its read
// repairs share one Slots, so REBALANCE_CONCURRENCY bounds everything it sends to the nodes at once.
export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = Math.max(1, size);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      // The slot passes straight to the next waiter, so a newcomer cannot take it in between.
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}
