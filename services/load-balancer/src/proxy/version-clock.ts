// The balancer's version stamps for X-Blob-Version (docs/load-balancer.md): the wall clock
// in microseconds, made strictly increasing, so two writes through this balancer are never stamped alike and a
// later write always carries the higher version even if the system clock steps back. The values stay below
// 2^53 (until the year 2255), so they are exact as JavaScript numbers and as the blob server parses them.
export class VersionClock {
  private last = 0;

  constructor(private readonly nowMicros: () => number = wallClockMicros) {}

  next(): number {
    this.last = Math.max(this.last + 1, this.nowMicros());
    return this.last;
  }
}

function wallClockMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}
