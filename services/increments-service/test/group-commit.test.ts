// The group commit's rules with an in-memory writer standing in for the database statement: what goes into
// one flush, when a flush starts, and who is answered when.
import { describe, expect, it } from 'vitest';
import {
  Closed,
  GroupCommit,
  Overloaded,
  type GroupCommitOptions,
  type HourlyViews,
} from '../src/page-views/group-commit.js';

const H = 3_600_000;

/** A writer that records batches and holds each one until released (or fails it). */
function controlledWriter() {
  const batches: HourlyViews[][] = [];
  const releases: Array<{ commit: () => void; fail: (error: Error) => void }> = [];
  const write = (rows: HourlyViews[]) =>
    new Promise<void>((resolve, reject) => {
      batches.push(rows.map((row) => ({ ...row })));
      releases.push({ commit: resolve, fail: reject });
    });
  return { batches, releases, write };
}

function groupCommit(write: GroupCommitOptions['write'], options: Partial<GroupCommitOptions> = {}) {
  return new GroupCommit({
    write,
    maxKeys: 1000,
    intervalMs: 20,
    flushWhenIdle: false,
    maxConcurrentFlushes: 1,
    maxPendingKeys: 10_000,
    ...options,
  });
}

const settled = (promise: Promise<unknown>) => {
  const state = { done: false, error: undefined as unknown };
  promise.then(
    () => (state.done = true),
    (error: unknown) => {
      state.done = true;
      state.error = error;
    },
  );
  return state;
};
const tick = () => new Promise((resolve) => setTimeout(resolve, 1));
const until = async (condition: () => boolean) => {
  while (!condition()) await tick();
};

describe('GroupCommit', () => {
  it('sums views of one (page, hour), sorts the rows, and answers only after the commit', async () => {
    const writer = controlledWriter();
    const commit = groupCommit(writer.write);
    const answers = [
      commit.add([{ page: 'b', hour: H, views: 1 }]),
      commit.add([{ page: 'a', hour: 2 * H, views: 2 }]),
      commit.add([
        { page: 'b', hour: H, views: 3 },
        { page: 'a', hour: H, views: 1 },
      ]),
    ].map(settled);

    await until(() => writer.batches.length === 1);
    expect(writer.batches[0]).toEqual([
      { page: 'a', hour: H, views: 1 },
      { page: 'a', hour: 2 * H, views: 2 },
      { page: 'b', hour: H, views: 4 },
    ]);
    await tick();
    expect(answers.some((answer) => answer.done)).toBe(false);

    writer.releases[0]!.commit();
    await until(() => answers.every((answer) => answer.done));
    expect(answers.map((answer) => answer.error)).toEqual([undefined, undefined, undefined]);
  });

  it('fails every request of a failed flush, and only those', async () => {
    const writer = controlledWriter();
    const commit = groupCommit(writer.write);
    const first = settled(commit.add([{ page: 'a', hour: H, views: 1 }]));
    await until(() => writer.batches.length === 1);
    const second = settled(commit.add([{ page: 'a', hour: H, views: 1 }]));

    const failure = new Error('connection lost');
    writer.releases[0]!.fail(failure);
    await until(() => first.done);
    expect(first.error).toBe(failure);

    // The second request waited for the next flush, which starts once the failed one is out of the way.
    await until(() => writer.batches.length === 2);
    writer.releases[1]!.commit();
    await until(() => second.done);
    expect(second.error).toBeUndefined();
  });

  it('starts a flush at once when maxKeys keys are pending', async () => {
    const writer = controlledWriter();
    const commit = groupCommit(writer.write, { maxKeys: 3, intervalMs: 60_000 });
    void commit.add([{ page: 'a', hour: H, views: 1 }]).catch(() => undefined);
    void commit.add([{ page: 'a', hour: H, views: 1 }]).catch(() => undefined);
    await tick();
    expect(writer.batches).toHaveLength(0);
    void commit
      .add([
        { page: 'b', hour: H, views: 1 },
        { page: 'c', hour: H, views: 1 },
      ])
      .catch(() => undefined);
    expect(writer.batches).toHaveLength(1);
    expect(writer.batches[0]).toHaveLength(3);
  });

  it('starts a flush intervalMs after the first pending view when the keys stay few', async () => {
    const writer = controlledWriter();
    const commit = groupCommit(writer.write, { intervalMs: 30 });
    const started = performance.now();
    void commit.add([{ page: 'a', hour: H, views: 1 }]);
    await until(() => writer.batches.length === 1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    writer.releases[0]!.commit();
  });

  it('with flushWhenIdle, flushes in the next turn when idle and batches while a flush runs', async () => {
    const writer = controlledWriter();
    const commit = groupCommit(writer.write, { flushWhenIdle: true, intervalMs: 60_000 });
    void commit.add([{ page: 'a', hour: H, views: 1 }]);
    void commit.add([{ page: 'b', hour: H, views: 1 }]);
    await until(() => writer.batches.length === 1);
    expect(writer.batches[0]).toHaveLength(2);

    for (const page of ['c', 'd', 'e']) void commit.add([{ page, hour: H, views: 1 }]);
    await tick();
    expect(writer.batches).toHaveLength(1);
    writer.releases[0]!.commit();
    await until(() => writer.batches.length === 2);
    expect(writer.batches[1]!.map((row) => row.page)).toEqual(['c', 'd', 'e']);
    writer.releases[1]!.commit();
  });

  it('refuses views beyond maxPendingKeys instead of queueing them', async () => {
    const writer = controlledWriter();
    const commit = groupCommit(writer.write, { maxPendingKeys: 2, intervalMs: 60_000 });
    void commit.add([
      { page: 'a', hour: H, views: 1 },
      { page: 'b', hour: H, views: 1 },
    ]);
    await expect(commit.add([{ page: 'c', hour: H, views: 1 }])).rejects.toBeInstanceOf(Overloaded);
  });

  it('close flushes what is pending, waits for it, then refuses new views', async () => {
    const committed: HourlyViews[][] = [];
    const commit = groupCommit(
      async (rows) => {
        await tick();
        committed.push(rows);
      },
      { intervalMs: 60_000 },
    );
    const answer = commit.add([{ page: 'a', hour: H, views: 5 }]);
    await commit.close();
    await answer;
    expect(committed).toEqual([[{ page: 'a', hour: H, views: 5 }]]);
    await expect(commit.add([{ page: 'a', hour: H, views: 1 }])).rejects.toBeInstanceOf(Closed);
  });
});
