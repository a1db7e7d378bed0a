export { BinaryHeap } from './binary-heap.js';
export { HashRing, ringPosition } from './hash-ring.js';
export { LruCache, LruKeyNotFoundError } from './lru-cache.js';
