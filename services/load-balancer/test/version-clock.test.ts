// The version clock on its own: stamps never repeat or go back (also when the wall clock does), a restarted clock
// fed the versions it sees stamps above them, and two balancers with different ids never stamp the same version.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SLOTS, slotOf, VersionClock } from '../src/proxy/version-clock.js';

describe('slotOf', () => {
  it('takes an integer id 0..255 as it is, and hashes anything else into 0..255', () => {
    expect(slotOf('0')).toBe(0);
    expect(slotOf('7')).toBe(7);
    expect(slotOf('255')).toBe(255);
    for (const id of ['256', '007x', 'lb-1:3000', '-1', '1.5', '']) {
      const slot = slotOf(id);
      expect(Number.isInteger(slot) && slot >= 0 && slot < SLOTS, id).toBe(true);
    }
    // md5("lb-1:3000") = 5435a796…ed2fe24d: read as a big-endian number, mod 256, that is 0x4d
    expect(slotOf('lb-1:3000')).toBe(0x4d);
    expect(new Set(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map(slotOf)).size).toBeGreaterThan(1);
  });
});

describe('VersionClock', () => {
  it('follows the wall clock in microseconds, on its slot, and never repeats or goes back', () => {
    let now = 5_000_000; // 5_000_000 ≡ 64 (mod 256)
    const clock = new VersionClock('64', () => now);
    expect(clock.next()).toBe(5_000_000);
    expect(clock.next()).toBe(5_000_256);
    now = 1_000; // the system clock stepped back
    expect(clock.next()).toBe(5_000_512);
    now = 9_000_100; // ≡ 164 (mod 256): the next stamp on slot 64 is 156 µs later
    expect(clock.next()).toBe(9_000_256);
  });

  it('stays strictly increasing and on its slot whatever the wall clock does', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 2 ** 52 }), { minLength: 1, maxLength: 50 }),
        (id, readings) => {
          let i = 0;
          const clock = new VersionClock(id, () => readings[i++ % readings.length] as number);
          let previous = -1;
          for (let n = 0; n < readings.length * 2; n += 1) {
            const version = clock.next();
            expect(version).toBeGreaterThan(previous);
            expect(version % SLOTS).toBe(clock.slot);
            expect(Number.isSafeInteger(version)).toBe(true);
            previous = version;
          }
        },
      ),
    );
  });

  it('stamps above every version it has observed, so a restarted clock that is behind catches up', () => {
    let now = 1_000_000;
    const before = new VersionClock('3', () => now);
    const written = [before.next(), before.next(), before.next()];
    now = 10; // the balancer restarts with a clock far behind
    const restarted = new VersionClock('3', () => now);
    expect(restarted.next()).toBeLessThan(written[2] as number);
    for (const version of written) restarted.observe(version);
    const next = restarted.next();
    expect(next).toBeGreaterThan(Math.max(...written));
    expect(next % SLOTS).toBe(3);
    // a lower version seen later does not pull it back
    restarted.observe(5);
    expect(restarted.next()).toBeGreaterThan(next);
  });

  it('ignores versions that are no safe integers or leave no room for a stamp above them', () => {
    const clock = new VersionClock('1', () => 1_000);
    for (const version of [Number.MAX_SAFE_INTEGER, 2 ** 60, Number.NaN, Infinity, 1.5e15 + 0.5])
      clock.observe(version);
    const version = clock.next();
    expect(version).toBeLessThan(2_000);
    expect(Number.isSafeInteger(version)).toBe(true);
  });

  it('never stamps the same version in two balancers of different slots, whatever they observe', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.array(
          fc.record({
            who: fc.constantFrom<'a' | 'b'>('a', 'b'),
            now: fc.integer({ min: 0, max: 10_000 }),
            observe: fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
          }),
          { maxLength: 200 },
        ),
        (slotA, slotB, steps) => {
          fc.pre(slotA !== slotB);
          const now = { a: 0, b: 0 };
          const clocks = {
            a: new VersionClock(String(slotA), () => now.a),
            b: new VersionClock(String(slotB), () => now.b),
          };
          const stamped = new Set<number>();
          for (const step of steps) {
            now[step.who] = step.now;
            // each balancer also sees the other's stamps in the nodes' answers
            if (step.observe !== undefined) clocks[step.who].observe(step.observe);
            const version = clocks[step.who].next();
            expect(stamped.has(version)).toBe(false);
            stamped.add(version);
          }
        },
      ),
    );
  });

  it('stamps the wall clock by default', () => {
    const version = new VersionClock('lb-1:3000').next();
    expect(Math.abs(version / 1000 - Date.now())).toBeLessThan(1_000);
    expect(Number.isSafeInteger(version)).toBe(true);
  });
});
