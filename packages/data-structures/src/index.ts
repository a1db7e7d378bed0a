export { BinaryHeap, type Comparator } from './binary-heap.js';
export { DEFAULT_POINTS_PER_NODE, HashRing, ringPosition, type RingShare } from './hash-ring.js';
export { LruCache, LruKeyNotFoundError, type LruCacheOptions } from './lru-cache.js';
