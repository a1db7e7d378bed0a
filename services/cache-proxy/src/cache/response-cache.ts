// The cache's memory: blob responses in the hand-written LRU (packages/data-structures), bounded by
// MAX_ITEMS_IN_CACHE and by CACHE_MAX_BYTES over body + stored-header bytes, plus the per-id generations that keep
// a fill which raced a write from being stored, and the hit/miss counters.
//
// Guarantees:
// - Both limits hold at every moment (the LRU evicts before it inserts); an entry larger than
//   CACHE_MAX_ENTRY_BYTES is never stored.
// - Generations: a fill calls beginFill(id) before it sends its request upstream and store(token, …) when the
//   body is complete. invalidate(id) bumps the generation of every fill of that id in progress, and store()
//   refuses a token whose generation is no longer the id's. So once invalidate(id) has returned, no fill that
//   began before it can store, whatever order the bytes arrive in. A generation is only kept while a fill of
//   the id is in progress: an invalidation with no fill in progress has nothing to race with, and the map
//   stays as small as the number of fills in flight (not the number of ids ever written).
import { LruCache } from '@backend-rebase/data-structures';

export type HeaderMap = Record<string, string | string[]>;

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
  bytes: number;
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
  onEvict?: () => void;
}

/** Body bytes plus, for each header, the name's length plus the value's (as the blob server counts them). */
export function sizeOfResponse(response: CachedResponse): number {
  let size = response.body.length;
  for (const [name, value] of Object.entries(response.headers)) {
    for (const one of Array.isArray(value) ? value : [value]) size += name.length + Buffer.byteLength(one);
  }
  return size;
}

export class ResponseCache {
  private readonly lru: LruCache<string, CachedResponse>;
  private readonly inFlight = new Map<string, InFlight>();
  private readonly counts = { hits: 0, misses: 0, collapsed: 0 };

  constructor(private readonly options: ResponseCacheOptions) {
    this.lru = new LruCache({
      maxItems: options.maxItems,
      maxSize: options.maxBytes,
      sizeOf: sizeOfResponse,
      ...(options.onEvict ? { onEvict: options.onEvict } : {}),
    });
  }

  get maxEntryBytes(): number {
    return this.options.maxEntryBytes;
  }

  get items(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.totalSize;
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
   * began. Returns whether it was stored. Every beginFill is followed by exactly one store or abandon.
   */
  store(token: FillToken, response: CachedResponse): boolean {
    const current = this.endFill(token);
    if (current !== token.generation) return false;
    if (sizeOfResponse(response) > this.options.maxEntryBytes) return false;
    return this.lru.put(token.id, response);
  }

  abandon(token: FillToken): void {
    this.endFill(token);
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
