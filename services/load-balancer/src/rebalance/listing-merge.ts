// Every id held by any of a set of nodes, once each and in id order, with what each node holds of it: a k-way
// merge of the nodes' listings (each sorted by id, compared as JavaScript strings compare, which for the ASCII
// ids of the contract is byte order), reading a node's next page only when its current one is used up. Memory
// is one page per node, whatever the number of ids. A node whose page cannot be read leaves the merge (reported
// through onFailure); the ids after that point are merged from the others.
export interface Page<E extends { id: string }> {
  entries: E[];
  /** the cursor of the next page; null on the last */
  next: string | null;
}

/** Reads one page of a node's listing: the first when cursor is undefined. */
export type PageReader<E extends { id: string }> = (cursor: string | undefined) => Promise<Page<E>>;

export interface MergedId<E> {
  id: string;
  /** node name → its entry for the id */
  copies: Map<string, E>;
}

interface Source<E extends { id: string }> {
  node: string;
  read: PageReader<E>;
  entries: E[];
  at: number;
  /** the cursor to read the next page from; null once the last page was read */
  cursor: string | undefined | null;
}

export async function* mergeListings<E extends { id: string }>(
  readers: ReadonlyMap<string, PageReader<E>>,
  onFailure: (node: string, error: unknown) => void,
): AsyncGenerator<MergedId<E>, void, undefined> {
  let sources: Source<E>[] = [...readers].map(([node, read]) => ({
    node,
    read,
    entries: [],
    at: 0,
    cursor: undefined,
  }));
  for (;;) {
    // Refill every source whose page is used up and that has more, all at once.
    const failed = new Set<Source<E>>();
    let empty = sources.filter((source) => source.at === source.entries.length && source.cursor !== null);
    while (empty.length > 0) {
      await Promise.all(
        empty.map(async (source) => {
          try {
            const page = await source.read(source.cursor ?? undefined);
            source.entries = page.entries;
            source.at = 0;
            source.cursor = page.next;
          } catch (error) {
            failed.add(source);
            onFailure(source.node, error);
          }
        }),
      );
      // An empty page that is not the last one is read past.
      empty = empty.filter(
        (source) => !failed.has(source) && source.entries.length === 0 && source.cursor !== null,
      );
    }
    sources = sources.filter((source) => !failed.has(source) && source.at < source.entries.length);
    if (sources.length === 0) return;

    // A linear scan for the smallest head: a cluster has a handful of nodes, where this beats a heap.
    let id: string | undefined;
    for (const source of sources) {
      const head = (source.entries[source.at] as E).id;
      if (id === undefined || head < id) id = head;
    }
    const copies = new Map<string, E>();
    for (const source of sources) {
      const head = source.entries[source.at] as E;
      if (head.id !== id) continue;
      copies.set(source.node, head);
      source.at++;
    }
    yield { id: id as string, copies };
  }
}
