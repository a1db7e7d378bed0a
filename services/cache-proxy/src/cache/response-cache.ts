// The cache's memory: blob responses in the hand-written LRU (packages/data-structures), bounded by
// MAX_ITEMS_IN_CACHE and by CACHE_MAX_BYTES, plus the per-id generations that keep a fill which raced a write
// from being stored, and the hit/miss counters.
//
// Guarantees:
// - One byte budget, CACHE_MAX_BYTES, holds the entries *and* the copies of the fills in flight: a fill
//   reserves its entry's size before it buffers a byte (reserve(), which evicts least recently used entries to
//   make room) and gives it back when it stores or gives up (release()). entries + reserved ≤ CACHE_MAX_BYTES at
//   every moment; a reservation the budget cannot give is refused, and that fill streams through uncached.
// - An entry's size is its body, its stored headers (name + value bytes) and its key, plus ENTRY_OVERHEAD_BYTES
//   for what every entry costs besides (the objects, the Buffer's bookkeeping, the LRU's slot and map entry).
// - MAX_ITEMS_IN_CACHE holds at every moment (the LRU evicts before it inserts); a response larger than
//   CACHE_MAX_ENTRY_BYTES (body + headers) is never stored.
// - Generations: a fill calls beginFill(id) before it sends its request upstream and store(token, …) when the
//   body is complete. invalidate(id) bumps the generation of every fill of that id in progress, and store()
//   refuses a token whose generation is no longer the id's. So once invalidate(id) has returned, no fill that
//   began before it can store, whatever order the bytes arrive in. A generation is only kept while a fill of
//   the id is in progress: an invalidation with no fill in progress has nothing to race with, and the map
//   stays as small as the number of fills in flight (not the number of ids ever written). supersede(id) bumps
//   the generation the same way without dropping the entry: a `no-cache` refresh calls it, so a fill that began
//   before the refresh can never overwrite what the refresh stores.
import { LruCache } from '@backend-rebase/data-structures';
import type { HeaderMap } from '@backend-rebase/http-proxy';

export interface CachedResponse {
  status: number;
  /** the headers replayed on a hit: upstream's, without the per-response ones (date, x-request-id, …) */
  headers: HeaderMap;
  body: Buffer;
  etag: string | undefined;
  /** Date.now() when the response arrived from upstream */
  storedAt: number;
}

export interface FillToken {
  readonly id: string;
  readonly generation: number;
}

interface InFlight {
  generation: number;
  fills: number;
}

export interface CacheStats {
  items: number;
  /** entries' bytes (entryBytes) */
  bytes: number;
  /** bytes reserved by fills in flight */
  fillBytes: number;
  maxItems: number;
  maxBytes: number;
  hits: number;
  misses: number;
  collapsed: number;
  evictions: number;
  /** hits / (hits + misses + collapsed); 0 before the first lookup */
  hitRatio: number;
}

export interface ResponseCacheOptions {
  maxItems: number;
  maxBytes: number;
  maxEntryBytes: number;
}

/**
 * What one entry costs besides its body, header and key bytes: the CachedResponse and header-map objects and
 * their strings' headers, the Buffer's ArrayBuffer and backing-store records, the LRU's Map entry and slot.
 * Measured well under half of 1 KiB (V8 heap + external, 50,000 entries with eight stored headers and 1-byte
 * bodies), before the allocator's own bookkeeping for each buffer; charged at 1 KiB so that 100,000 small entries cannot
 * hold much more memory than CACHE_MAX_BYTES says.
 */
export const ENTRY_OVERHEAD_BYTES = 1024;

/** Body bytes plus, for each header, the name's length plus the value's (as the blob server counts them). */
export function sizeOfResponse(
  response: Pick<CachedResponse, 'headers'> & { body: { length: number } },
): number {
  let size = response.body.length;
  for (const [name, value] of Object.entries(response.headers)) {
    for (const one of Array.isArray(value) ? value : [value]) size += name.length + Buffer.byteLength(one);
  }
  return size;
}

/** What an entry counts against CACHE_MAX_BYTES: the response, the key and ENTRY_OVERHEAD_BYTES. */
export function entryBytes(id: string, headers: HeaderMap, bodyLength: number): number {
  return (
    sizeOfResponse({ headers, body: { length: bodyLength } }) + Buffer.byteLength(id) + ENTRY_OVERHEAD_BYTES
  );
}

export class ResponseCache {
  private readonly lru: LruCache<string, CachedResponse>;
  private readonly inFlight = new Map<string, InFlight>();
  private readonly counts = { hits: 0, misses: 0, collapsed: 0 };
  private reserved = 0;

  constructor(private readonly options: ResponseCacheOptions) {
    this.lru = new LruCache({
      maxItems: options.maxItems,
      maxSize: options.maxBytes,
      sizeOf: (response, id) => entryBytes(id, response.headers, response.body.length),
    });
  }

  get maxEntryBytes(): number {
    return this.options.maxEntryBytes;
  }

  /** Bytes reserved by fills in flight. */
  get fillBytes(): number {
    return this.reserved;
  }

  /**
   * Sets `bytes` of CACHE_MAX_BYTES aside for a fill's copy, evicting least recently used entries as needed.
   * False, with nothing reserved or evicted, when the other fills' reservations leave too little.
   */
  reserve(bytes: number): boolean {
    if (this.reserved + bytes > this.options.maxBytes) return false;
    this.reserved += bytes;
    this.lru.evictTo(this.options.maxBytes - this.reserved);
    return true;
  }

  /** Gives back what reserve() set aside. */
  release(bytes: number): void {
    this.reserved = Math.max(0, this.reserved - bytes);
  }

  /** The entry for id (now the most recently used), or undefined. */
  lookup(id: string): CachedResponse | undefined {
    return this.lru.tryGet(id);
  }

  count(outcome: 'hits' | 'misses' | 'collapsed'): void {
    this.counts[outcome]++;
  }

  beginFill(id: string): FillToken {
    let entry = this.inFlight.get(id);
    if (!entry) this.inFlight.set(id, (entry = { generation: 0, fills: 0 }));
    entry.fills++;
    return { id, generation: entry.generation };
  }

  /**
   * Ends a fill; stores the response when given one and no invalidation of the id happened since the fill
   * began, turning the fill's reservation (`reservedBytes`, given back either way) into the entry. Returns
   * whether it was stored. Every beginFill is followed by exactly one store or abandon.
   */
  store(token: FillToken, response: CachedResponse, reservedBytes = 0): boolean {
    this.release(reservedBytes);
    const current = this.endFill(token);
    if (current !== token.generation) return false;
    if (sizeOfResponse(response) > this.options.maxEntryBytes) return false;
    const size = entryBytes(token.id, response.headers, response.body.length);
    const room = this.options.maxBytes - this.reserved;
    if (size > room) return false;
    // The old entry goes first (it is being replaced, not evicted); then other fills' reservations count
    // too: the LRU's own limit only knows about the entries.
    this.lru.remove(token.id);
    this.lru.evictTo(room - size);
    return this.lru.put(token.id, response);
  }

  abandon(token: FillToken): void {
    this.endFill(token);
  }

  /** Makes every fill of id in progress unable to store, keeping the entry (a `no-cache` refresh). */
  supersede(id: string): void {
    const entry = this.inFlight.get(id);
    if (entry) entry.generation++;
  }

  /** Drops id and makes every fill of it in progress unable to store. */
  invalidate(id: string): void {
    this.lru.remove(id);
    const entry = this.inFlight.get(id);
    if (entry) entry.generation++;
  }

  /** Drops everything, as invalidate does for each id. */
  clear(): void {
    this.lru.clear();
    for (const entry of this.inFlight.values()) entry.generation++;
  }

  stats(): CacheStats {
    const { hits, misses, collapsed } = this.counts;
    const lookups = hits + misses + collapsed;
    return {
      items: this.lru.size,
      bytes: this.lru.totalSize,
      fillBytes: this.reserved,
      maxItems: this.options.maxItems,
      maxBytes: this.options.maxBytes,
      hits,
      misses,
      collapsed,
      evictions: this.lru.evictions,
      hitRatio: lookups === 0 ? 0 : hits / lookups,
    };
  }

  private endFill(token: FillToken): number | undefined {
    const entry = this.inFlight.get(token.id);
    if (!entry) return undefined;
    const generation = entry.generation;
    if (--entry.fills === 0) this.inFlight.delete(token.id);
    return generation;
  }
}
