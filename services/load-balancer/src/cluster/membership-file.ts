// The registry's membership on disk (MEMBERSHIP_FILE), so a balancer restarted with kill -9 knows its nodes at
// once instead of waiting for each one's next heartbeat: until then it would own every blob to the few nodes
// it had heard from, answer 404 for blobs on the others, and acknowledge writes on too few copies. This is what
// Swift's ring files and Cassandra's saved peers do.
//
// Guarantees:
// - The file always holds a whole membership: it is written to a temporary file beside it and renamed over it.
// - Saves follow every membership change (a node joined, moved, restarted, began draining or left) in order;
//   a save asked for while one runs is folded into the next, which writes the registry as it is then.
// - What is saved is names, addresses, process ids (bootId), draining, and the removed names with the process
//   they were removed as. Health and sync state are not: a restored node is probed before it serves, and is
//   out of sync until a rebalancer pass, like any node the balancer has just heard of.
// - A missing file is an empty cluster; an unreadable one is logged and ignored (the heartbeats rebuild it).
import { mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@backend-rebase/logger';
import type { NodeAddress, NodeRegistry } from './node-registry.js';

interface SavedNode extends NodeAddress {
  name: string;
  bootId: string | null;
  draining: boolean;
}

export interface SavedMembership {
  nodes: SavedNode[];
  /** [name, bootId it had when removed] */
  removed: Array<[string, string]>;
}

export class MembershipFile {
  private saving: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly file: string,
    private readonly logger: Logger,
  ) {}

  /** The saved membership, or undefined when there is none (or it cannot be read). */
  load(): SavedMembership | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.logger.warn('the membership file cannot be read; waiting for heartbeats', {
        file: this.file,
        err: error,
      });
      return undefined;
    }
    const saved = parseMembership(text);
    if (!saved)
      this.logger.warn('the membership file is not valid; waiting for heartbeats', { file: this.file });
    return saved;
  }

  /** Saves `registry` now, or after the save in progress; resolves when what it holds now is on disk. */
  save(registry: NodeRegistry): Promise<void> {
    if (this.saving) {
      this.again = true;
      return this.saving;
    }
    this.saving = this.write(registry).finally(() => {
      this.saving = undefined;
      if (this.again) {
        this.again = false;
        void this.save(registry);
      }
    });
    return this.saving;
  }

  /** Resolves once every save asked for so far is on disk (the balancer waits for it when it closes). */
  async settled(): Promise<void> {
    while (this.saving) await this.saving;
  }

  private async write(registry: NodeRegistry): Promise<void> {
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      await writeFile(temp, `${JSON.stringify(registry.membership(), null, 2)}\n`);
      await rename(temp, this.file);
    } catch (error) {
      this.logger.error('saving the membership file failed', { file: this.file, err: error });
    }
  }
}

function parseMembership(text: string): SavedMembership | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const { nodes, removed } = (value ?? {}) as Partial<SavedMembership>;
  if (!Array.isArray(nodes) || !Array.isArray(removed)) return undefined;
  const nodesValid = nodes.every(
    (node) =>
      typeof node?.name === 'string' &&
      typeof node.host === 'string' &&
      Number.isInteger(node.port) &&
      (node.bootId === null || typeof node.bootId === 'string') &&
      typeof node.draining === 'boolean',
  );
  const removedValid = removed.every(
    (entry) => Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'string',
  );
  return nodesValid && removedValid ? { nodes, removed } : undefined;
}
