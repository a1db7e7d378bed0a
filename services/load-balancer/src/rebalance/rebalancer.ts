// The background rebalancer (docs/load-balancer.md, "Rebalancing"): passes over every healthy node's listing that
// give each blob and tombstone to the owners that lack it and purge the copies that are misplaced once the owners
// are confirmed to hold them, and read repairs of single ids. What it guarantees:
//
// - Copy, confirm, then purge (reconcile.ts): a fault at any point leaves an extra copy, never a missing one.
// - A pass runs in two phases over the merged listings (listing-merge.ts, memory one page per node): first it
//   copies only the ids that fewer than R nodes hold in their newest version, then, if the first phase saw other
//   work, everything else (moves, handoffs, purges, tombstone reclaim). At most `concurrency` ids are worked on at
//   once, read repairs included (slots.ts).
// - Requests are coalesced: a request during a pass runs one more pass after it, however many arrive; those in
//   the start delay (startDelayMs) run as one pass once it is over.
// - A pass that finishes tells the cluster which nodes it left in sync (passFinished, with the epochs read when it
//   started) and which draining nodes hold nothing any more (drained).
// - stop() aborts what is in flight and waits for it; nothing is left running.
import type { Logger } from '@backend-rebase/logger';
import type { Clock } from '@backend-rebase/service-kit';
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  BEFORE_FIRST_PASS,
  type ClusterView,
  type RebalanceControl,
  type RebalanceProgress,
} from './cluster-view.js';
import { mergeListings, type MergedId } from './listing-merge.js';
import { NodeClient, type ListingEntry } from './node-client.js';
import { confirmedPurges, reconcile, type Copy, type Plan } from './reconcile.js';
import { Slots } from './slots.js';

export interface RebalancerOptions {
  cluster: ClusterView;
  /** REBALANCE_CONCURRENCY: ids worked on at once */
  concurrency: number;
  /** TOMBSTONE_TTL in ms */
  tombstoneTtlMs: number;
  /** INTERNAL_TOKEN, sent on /internal calls to the nodes */
  internalToken?: string;
  /** per request to a node */
  timeoutMs: number;
  logger: Logger;
  metricsRegistry: Registry;
  now?: Clock;
  /**
   * Passes requested in the first `startDelayMs` after start() wait until it has passed and then run as one.
   * A balancer that just restarted learns its nodes one heartbeat at a time; a pass over part of the cluster
   * would copy blobs to nodes that own them only until the rest are back. Default 0.
   */
  startDelayMs?: number;
}

/** Ids per listing page: a pass holds one page per node. */
const PAGE_SIZE = 1000;
/** Read repairs waiting at most; more are dropped (the next pass puts them right). */
const REPAIR_QUEUE_LIMIT = 1000;
/** Failed requests of one pass logged one by one; the rest are only counted (a node down fails thousands). */
const LOGGED_FAILURES_PER_PASS = 20;

/** What one pass has seen and done so far. */
interface PassState {
  failed: Set<string>;
  /** false once a listing failed: a node not seen whole might hold a copy, so no tombstone is reclaimed */
  listingsWhole: boolean;
}

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;

export class Rebalancer implements RebalanceControl {
  private readonly cluster: ClusterView;
  private readonly now: Clock;
  private readonly slots: Slots;
  private readonly abort = new AbortController();
  private readonly counters: { copied: Counter; removed: Counter; readRepairs: Counter };
  private readonly underReplicatedGauge: Gauge;
  private readonly current: RebalanceProgress = { ...BEFORE_FIRST_PASS };
  /** the trigger of the pass to run after the current one */
  private pendingTrigger: string | undefined;
  private loop: Promise<void> | undefined;
  private started = false;
  private stopped = false;
  /** start() was called with a startDelayMs that has not passed yet */
  private held = false;
  private holdTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = FIRST_RETRY_MS;
  /** copies left on nodes that are not owners by the last pass, and stand-in writes noted since it started */
  private misplacedAfterPass = 0;
  private handoffsNoted = 0;
  private readonly repairQueue = new Set<string>();
  private readonly repairs = new Set<Promise<void>>();

  constructor(private readonly options: RebalancerOptions) {
    this.cluster = options.cluster;
    this.now = options.now ?? Date.now;
    this.slots = new Slots(options.concurrency);
    const registers = [options.metricsRegistry];
    this.counters = {
      copied: new Counter({
        name: 'lb_rebalance_copied_total',
        help: 'Copies (blobs and tombstones) the rebalancer wrote to owners that lacked them',
        registers,
      }),
      removed: new Counter({
        name: 'lb_rebalance_removed_total',
        help: 'Misplaced copies and expired tombstones the rebalancer purged',
        registers,
      }),
      readRepairs: new Counter({
        name: 'lb_read_repairs_total',
        help: 'Ids a read found stale or missing on an owner and that a repair then copied',
        registers,
      }),
    };
    this.underReplicatedGauge = new Gauge({
      name: 'lb_under_replicated_blobs',
      help: 'Ids whose newest version fewer than R nodes held, in the last finished pass',
      registers,
    });
    const pending = () => this.misplacedAfterPass + this.handoffsNoted;
    new Gauge({
      name: 'lb_handoff_pending',
      help: 'Copies on nodes that are not their owners: left by the last pass, plus stand-in writes since it started',
      registers,
      collect() {
        this.set(pending());
      },
    });
  }

  get busy(): boolean {
    return this.loop !== undefined || this.pendingTrigger !== undefined;
  }

  get progress(): RebalanceProgress {
    return { ...this.current };
  }

  /**
   * Runs the first pass (after startDelayMs). The periodic passes (anti-entropy) are requested by the app's
   * periodic job, as any other trigger is.
   */
  start(): void {
    if (this.stopped || this.started) return;
    this.started = true;
    const delay = this.options.startDelayMs ?? 0;
    if (delay > 0) {
      this.held = true;
      this.holdTimer = setTimeout(() => {
        this.held = false;
        if (this.pendingTrigger !== undefined && !this.stopped) this.loop ??= this.runPasses();
      }, delay);
      this.holdTimer.unref();
    }
    this.request('start');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.holdTimer);
    clearTimeout(this.retryTimer);
    this.pendingTrigger = undefined;
    this.repairQueue.clear();
    this.abort.abort(new Error('the balancer is shutting down'));
    await this.loop;
    await Promise.all(this.repairs);
  }

  request(trigger: string): void {
    if (this.stopped) return;
    this.pendingTrigger ??= trigger;
    if (!this.held) this.loop ??= this.runPasses();
  }

  /**
   * Requests a pass and resolves once no pass is running or requested, with the progress then (for tests and
   * tools; during the start delay it resolves at once, the pass still held).
   */
  async runPass(trigger: string): Promise<RebalanceProgress> {
    this.request(trigger);
    while (this.loop) await this.loop;
    return this.progress;
  }

  repair(id: string): void {
    if (this.stopped || this.repairQueue.has(id) || this.repairQueue.size >= REPAIR_QUEUE_LIMIT) return;
    this.repairQueue.add(id);
    this.pumpRepairs();
  }

  noteHandoff(id: string, holder: string): void {
    this.handoffsNoted++;
    this.options.logger.debug('a stand-in holds a copy for a down owner', { id, holder });
  }

  /** Resolves once the read repairs queued so far are done (for tests). */
  async repairsSettled(): Promise<void> {
    while (this.repairs.size > 0) await Promise.all(this.repairs);
  }

  private async runPasses(): Promise<void> {
    while (this.pendingTrigger !== undefined && !this.stopped) {
      const trigger = this.pendingTrigger;
      this.pendingTrigger = undefined;
      try {
        await this.pass(trigger);
      } catch (error) {
        this.options.logger.error('rebalance pass failed', { trigger, err: error });
      }
    }
    this.loop = undefined;
  }

  private async pass(trigger: string): Promise<void> {
    const started = this.now();
    Object.assign(this.current, {
      state: 'running',
      startedAt: new Date(started).toISOString(),
      trigger,
      scanned: 0,
      copied: 0,
      removed: 0,
      errors: 0,
    });
    this.handoffsNoted = 0;
    const nodes = this.cluster.healthyNodes();
    const startEpochs = new Map<string, number>();
    for (const node of nodes) {
      const epoch = this.cluster.epochOf(node);
      if (epoch !== undefined) startEpochs.set(node, epoch);
    }
    const state: PassState = { failed: new Set(), listingsWhole: true };

    const first = await this.scan(nodes, state, 'under-replicated');
    let misplaced = first.misplaced;
    if (first.deferred > 0 && !this.stopped) {
      const listed = nodes.filter((node) => !state.failed.has(node) && this.cluster.isHealthy(node));
      misplaced = (await this.scan(listed, state, 'all')).misplaced;
    }
    if (this.stopped) {
      this.current.state = 'idle';
      return;
    }

    this.cluster.passFinished(startEpochs, state.failed);
    this.retryAfterFailures(state.failed.size > 0 || this.current.errors > 0);
    const drained = await this.reportDrained(nodes, state);
    this.misplacedAfterPass = misplaced;
    this.underReplicatedGauge.set(first.underReplicated);
    Object.assign(this.current, {
      state: 'idle',
      finishedAt: new Date(this.now()).toISOString(),
      underReplicated: first.underReplicated,
    });
    const { scanned, copied, removed, errors, underReplicated } = this.current;
    this.options.logger.info('rebalance pass finished', {
      trigger,
      scanned,
      copied,
      removed,
      errors,
      underReplicated,
      misplaced,
      failedNodes: [...state.failed],
      drained,
      durationMs: this.now() - started,
    });
  }

  /**
   * One walk over the merged listings of `nodes`. In the 'under-replicated' phase only the ids fewer than R nodes
   * hold in their newest version get copies, and the ids with other work are counted as deferred.
   */
  private async scan(
    nodes: readonly string[],
    state: PassState,
    phase: 'under-replicated' | 'all',
  ): Promise<{ underReplicated: number; deferred: number; misplaced: number }> {
    const totals = { underReplicated: 0, deferred: 0, misplaced: 0 };
    const readers = new Map(
      nodes.map((node) => [node, (cursor: string | undefined) => this.client(node).list(cursor, PAGE_SIZE)]),
    );
    const merged = mergeListings<ListingEntry>(readers, (node, error) => {
      state.failed.add(node);
      state.listingsWhole = false;
      this.failure('listing a node failed', error);
    });
    const worker = async () => {
      for (;;) {
        if (this.stopped) return;
        const next = await merged.next();
        if (next.done) return;
        const outcome = await this.slots.run(() => this.settle(next.value, state, phase));
        if (outcome.underReplicated) totals.underReplicated++;
        if (outcome.deferred) totals.deferred++;
        totals.misplaced += outcome.misplaced;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.options.concurrency) }, worker));
    await merged.return(undefined);
    return totals;
  }

  /** Works on one id of a scan. */
  private async settle(
    { id, copies }: MergedId<ListingEntry>,
    state: PassState,
    phase: 'under-replicated' | 'all',
  ): Promise<{ underReplicated: boolean; deferred: boolean; misplaced: number }> {
    if (phase === 'under-replicated') this.current.scanned++;
    const owners = this.cluster.ownersOf(id);
    const plan = reconcile({
      owners,
      copies,
      replicationFactor: this.cluster.replicationFactor(),
      isHealthy: (name) => this.cluster.isHealthy(name),
      now: this.now(),
      tombstoneTtlMs: this.options.tombstoneTtlMs,
      mayReclaim: state.listingsWhole,
    });
    const misplacedBefore = [...copies.keys()].filter((node) => !owners.includes(node)).length;
    if (!plan) return { underReplicated: false, deferred: false, misplaced: 0 };

    if (phase === 'under-replicated') {
      if (plan.underReplicated) this.countCopies(await this.copyAll(id, plan, state.failed));
      const otherWork = plan.purgeCandidates.length > 0 || plan.reclaim.length > 0;
      return {
        underReplicated: plan.underReplicated,
        deferred: otherWork || (!plan.underReplicated && plan.copies.length > 0),
        misplaced: misplacedBefore,
      };
    }

    this.countCopies(await this.copyAll(id, plan, state.failed));
    const purged = await this.purgeMisplaced(id, owners, plan, state.failed);
    if (plan.reclaim.length > 0 && this.ownersStill(id, owners))
      for (const { node, copy } of plan.reclaim) await this.purge(node, id, copy.version);
    return { underReplicated: plan.underReplicated, deferred: false, misplaced: misplacedBefore - purged };
  }

  /**
   * A pass that failed somewhere (a node that did not answer, a copy or a purge that failed) leaves nodes out
   * of sync and copies misplaced, so another pass follows on its own after a backoff (1 s, doubling up to 30 s)
   * rather than at the next periodic pass, as Swift's replicators and Cassandra's hint delivery retry.
   */
  private retryAfterFailures(failed: boolean): void {
    if (!failed) {
      this.retryDelayMs = FIRST_RETRY_MS;
      return;
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.request('retry after failures'), this.retryDelayMs);
    this.retryTimer.unref();
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, MAX_RETRY_MS);
  }

  /**
   * Gives the newest copy to every owner in the plan that lacks it, and says how many took it. A failed copy
   * marks its target failed in a pass (`failed`), and is only logged in a read repair.
   */
  private async copyAll(id: string, plan: Plan, failed: Set<string> | undefined): Promise<number> {
    let copied = 0;
    for (const action of plan.copies) {
      try {
        const target = this.client(action.to);
        // The stale data at the tombstone's very version would refuse the tombstone: it goes first.
        if (action.replaceVersion !== undefined) await target.purge(id, action.replaceVersion);
        if (await this.copyTo(target, id, plan)) copied++;
      } catch (error) {
        if (failed) {
          failed.add(action.to);
          this.failure('copying a blob failed', error, { id, to: action.to });
        } else this.warn('a read repair could not copy a blob', error, { id, to: action.to });
      }
    }
    return copied;
  }

  /** True when the target took the copy; false when it already held something newer. */
  private async copyTo(target: NodeClient, id: string, plan: Plan): Promise<boolean> {
    if (plan.newest.deleted) {
      return (await target.deleteAt(id, plan.newest.version)).status === 'stored';
    }
    let lastError: unknown = new Error(`no node holds ${id} at version ${plan.newest.version} any more`);
    for (const source of plan.sources) {
      let download;
      try {
        download = await this.client(source).download(id);
      } catch (error) {
        lastError = error;
        continue;
      }
      if (!download) continue;
      try {
        return (await target.upload(id, download)).status === 'stored';
      } catch (error) {
        // A node that holds this version (a read repair got there first) or a newer one answers from the
        // headers and closes the connection while the body is still going out, so the upload fails with
        // EPIPE or a reset instead of that answer: ask the node what it holds before calling it a failure.
        const held = await target.head(id).catch(() => undefined);
        if (held !== undefined && held.version >= plan.newest.version) return false;
        throw error;
      } finally {
        download.body.destroy();
      }
    }
    throw lastError;
  }

  private countCopies(copied: number): void {
    this.current.copied += copied;
    this.counters.copied.inc(copied);
  }

  /**
   * Purges the plan's misplaced copies that every owner is confirmed, by a HEAD now, to hold at least as new;
   * only while the owners are still the ones planned for and all healthy. Returns how many it purged.
   */
  private async purgeMisplaced(
    id: string,
    owners: string[],
    plan: Plan,
    failed: Set<string>,
  ): Promise<number> {
    if (plan.purgeCandidates.length === 0 || !this.ownersStill(id, owners)) return 0;
    const confirmed = new Map<string, Copy | undefined>();
    try {
      for (const owner of owners) confirmed.set(owner, await this.client(owner).head(id));
    } catch (error) {
      const node = owners.find((owner) => !confirmed.has(owner));
      if (node !== undefined) failed.add(node);
      this.failure('confirming the owners hold a copy failed', error, { id });
      return 0;
    }
    let purged = 0;
    for (const { node, copy } of confirmedPurges(plan.purgeCandidates, owners, confirmed))
      if (await this.purge(node, id, copy.version)) purged++;
    return purged;
  }

  /** The ring has not moved `id` since it was planned for, and every owner is healthy. */
  private ownersStill(id: string, owners: readonly string[]): boolean {
    const now = this.cluster.ownersOf(id);
    return (
      now.length === owners.length &&
      now.every((owner, index) => owner === owners[index] && this.cluster.isHealthy(owner))
    );
  }

  /** Purges exactly `version` of `id` from `node`; true when it was there and is gone. */
  private async purge(node: string, id: string, version: number): Promise<boolean> {
    try {
      const outcome = await this.client(node).purge(id, version);
      if (outcome.status !== 'purged') return false;
      this.current.removed++;
      this.counters.removed.inc();
      return true;
    } catch (error) {
      this.failure('purging a copy failed', error, { id, node, version });
      return false;
    }
  }

  /** The draining nodes of this pass that hold nothing now, handed to the cluster to remove. */
  private async reportDrained(nodes: readonly string[], state: PassState): Promise<string[]> {
    const drained: string[] = [];
    for (const node of nodes) {
      if (!this.cluster.isDraining(node) || state.failed.has(node)) continue;
      try {
        const page = await this.client(node).list(undefined, 1);
        if (page.entries.length > 0) continue;
      } catch (error) {
        this.failure('listing a draining node failed', error, { node });
        continue;
      }
      this.cluster.drained(node);
      drained.push(node);
    }
    return drained;
  }

  private pumpRepairs(): void {
    while (this.repairs.size < Math.max(1, this.options.concurrency) && this.repairQueue.size > 0) {
      const id = this.repairQueue.values().next().value as string;
      this.repairQueue.delete(id);
      const done: Promise<void> = this.slots
        .run(() => this.repairOne(id))
        .catch((error: unknown) => this.warn('a read repair failed', error, { id }))
        .finally(() => {
          this.repairs.delete(done);
          this.pumpRepairs();
        });
      this.repairs.add(done);
    }
  }

  /** Asks every healthy node what it holds of `id` and copies the newest to the owners that lack it. */
  private async repairOne(id: string): Promise<void> {
    if (this.stopped) return;
    const copies = new Map<string, Copy>();
    await Promise.all(
      this.cluster.healthyNodes().map(async (node) => {
        try {
          const held = await this.client(node).head(id);
          if (held) copies.set(node, held);
        } catch (error) {
          this.warn('a read repair could not ask a node', error, { id, node });
        }
      }),
    );
    const plan = reconcile({
      owners: this.cluster.ownersOf(id),
      copies,
      replicationFactor: this.cluster.replicationFactor(),
      isHealthy: (name) => this.cluster.isHealthy(name),
      now: this.now(),
      tombstoneTtlMs: this.options.tombstoneTtlMs,
      mayReclaim: false,
    });
    if (plan && (await this.copyAll(id, plan, undefined)) > 0) this.counters.readRepairs.inc();
  }

  private client(node: string): NodeClient {
    const pool = this.cluster.poolFor(node);
    if (!pool) throw new Error(`${node} is not registered any more`);
    return new NodeClient(node, pool, {
      internalToken: this.options.internalToken,
      timeoutMs: this.options.timeoutMs,
      signal: this.abort.signal,
    });
  }

  /** A request of a pass failed: counted in its progress, and logged. */
  private failure(message: string, error: unknown, fields: Record<string, unknown> = {}): void {
    if (this.stopped) return;
    this.current.errors++;
    if (this.current.errors <= LOGGED_FAILURES_PER_PASS) this.warn(message, error, fields);
  }

  private warn(message: string, error: unknown, fields: Record<string, unknown>): void {
    if (this.stopped) return;
    this.options.logger.warn(message, { ...fields, err: error });
  }
}
