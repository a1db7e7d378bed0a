// Runs critical sections one at a time per key, and concurrently across keys. The blob store holds it only
// for the short commit of a write or delete (check versions and preconditions, rename, update the index), so
// two writers of one id cannot interleave between deciding and renaming.
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, section: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(section, section);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
