// The background rebalancer: passes over every healthy node's listing that copy each blob and tombstone to the
// owners that lack it and purge misplaced copies once the owners confirmably hold them (design: "Rebalancer").
// This first version keeps the public shape (RebalanceControl, start/stop) stable for the app; passes follow.
import type { Logger } from '@backend-rebase/logger';
import type { Registry } from 'prom-client';
import type { ClusterView, RebalanceControl, RebalanceProgress } from './cluster-view.js';

export interface RebalancerOptions {
  cluster: ClusterView;
  /** REBALANCE_CONCURRENCY: ids worked on at once */
  concurrency: number;
  /** TOMBSTONE_TTL in ms */
  tombstoneTtlMs: number;
  /** REBALANCE_INTERVAL_MS: a periodic pass */
  intervalMs: number;
  /** INTERNAL_TOKEN, sent on /internal calls to the nodes */
  internalToken?: string;
  /** per request to a node */
  timeoutMs: number;
  logger: Logger;
  metricsRegistry: Registry;
  /** ms since the epoch */
  now?: () => number;
}

export class Rebalancer implements RebalanceControl {
  private current: RebalanceProgress = {
    state: 'idle',
    startedAt: null,
    finishedAt: null,
    trigger: null,
    scanned: 0,
    copied: 0,
    removed: 0,
    errors: 0,
    underReplicated: 0,
  };

  constructor(private readonly options: RebalancerOptions) {}

  get busy(): boolean {
    return this.current.state === 'running';
  }

  get progress(): RebalanceProgress {
    return { ...this.current };
  }

  request(trigger: string): void {
    this.options.logger.debug('rebalance requested', { trigger });
  }

  repair(id: string): void {
    this.options.logger.debug('repair requested', { id });
  }

  noteHandoff(id: string, holder: string): void {
    this.options.logger.debug('handoff noted', { id, holder });
  }

  start(): void {}

  async stop(): Promise<void> {}
}
