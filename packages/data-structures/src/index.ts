export { BinaryHeap, type Comparator } from './binary-heap.js';
