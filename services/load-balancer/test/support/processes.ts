// Real processes for the process tests (*.process.test.ts), in the spirit of OpenStack Swift's probe tests: the
// balancer and the blob servers each run from their own entry point (`node --import tsx src/server.ts`) as a
// child process, configured only through the environment as an operator would, killed with SIGKILL and started
// again on the same port and data directory. A node's records are read from the node itself
// (GET /internal/blobs), never through the balancer, so placement is checked where it happens.
//
// What it guarantees: close() SIGKILLs every process a cluster started and removes its scratch directory, and a
// test worker that exits without reaching close() still SIGKILLs them (the exit hook below); nothing waits a
// fixed time: every wait polls for the state it needs and, when it gives up, says the last state it saw.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, removeDir, scratchDir, sleep } from './cluster.js';

const SERVICES_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = import.meta.resolve('tsx');
const OUTPUT_KEPT = 256 * 1024;

// The only variables a child inherits: the services read everything else from the environment, so a variable
// set in the shell that runs the tests (INTERNAL_TOKEN, MIN_NODES, …) must not change what they do.
const INHERITED = ['PATH', 'HOME', 'TMPDIR', 'TZ', 'LANG', 'SYSTEMROOT'];

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** One service started from its entry point; start() again after kill() reuses the port and environment. */
export class ServiceProcess {
  readonly url: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private log = '';

  constructor(
    readonly name: string,
    private readonly service: 'load-balancer' | 'blob-server',
    readonly port: number,
    private readonly env: Record<string, string>,
    /** answers 200 once the process can take its traffic */
    private readonly readyPath: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  get isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** stdout and stderr of every start so far (the last 256 KiB), with a line at each start and exit */
  output(): string {
    return this.log;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    if (this.isRunning) throw new Error(`${this.name} is already running`);
    const inherited = Object.fromEntries(
      INHERITED.flatMap((key) => (process.env[key] === undefined ? [] : [[key, process.env[key]]])),
    ) as Record<string, string>;
    const child = spawn(process.execPath, ['--import', TSX, 'src/server.ts'], {
      cwd: path.join(SERVICES_ROOT, this.service),
      env: { ...inherited, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    this.child = child;
    const keep = (chunk: Buffer) => this.append(chunk.toString());
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        running.delete(child);
        this.append(`[${stamp()} ${this.name} exited: ${signal ?? code}]\n`);
        resolve();
      }),
    );
    this.append(`[${stamp()} ${this.name} started on port ${this.port}, pid ${child.pid}]\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.isRunning) throw new Error(`${this.name} exited during start-up:\n${this.log}`);
      if (await answersOk(`${this.url}${this.readyPath}`)) return;
      if (Date.now() > deadline) {
        throw new Error(`${this.name} did not answer ${this.readyPath} within ${timeoutMs} ms:\n${this.log}`);
      }
      await sleep(50);
    }
  }

  /** SIGSTOP: the process keeps its port and connections but does nothing (no answers, no heartbeats) */
  pause(): void {
    if (this.isRunning) this.child?.kill('SIGSTOP');
  }

  /** SIGCONT after pause() */
  resume(): void {
    if (this.isRunning) this.child?.kill('SIGCONT');
  }

  /** kill -9, and wait until the process is gone (its port is free again) */
  async kill(): Promise<void> {
    if (this.isRunning) this.child?.kill('SIGKILL');
    await this.exited;
  }

  private append(text: string): void {
    this.log = (this.log + text).slice(-OUTPUT_KEPT);
  }
}

async function answersOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

const stamp = () => new Date().toISOString();

/** Polls `check` every `intervalMs` until it returns a value; on timeout the error names `what` and `seen()`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  { timeoutMs, intervalMs = 100, seen }: { timeoutMs: number; intervalMs?: number; seen: () => string },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen()}`);
    await sleep(intervalMs);
  }
}

/** Runs `work` over `items`, at most `limit` at once, in order of start. */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

export const md5Etag = (bytes: Buffer) => `"${createHash('md5').update(bytes).digest('hex')}"`;

export interface ListedNode {
  name: string;
  host: string;
  port: number;
  status: 'healthy' | 'unhealthy';
  bootId?: string | null;
  draining?: boolean;
  inSync?: boolean;
}

export interface RebalanceProgress {
  state: 'idle' | 'running';
  startedAt: string | null;
  finishedAt: string | null;
  trigger?: string | null;
  scanned: number;
  copied: number;
  removed: number;
  errors: number;
  underReplicated?: number;
}

/** One entry of a node's GET /internal/blobs. */
export interface NodeRecord {
  id: string;
  size: number;
  etag: string | null;
  version: number;
  deleted: boolean;
}

/** What one id should look like on the cluster once it has settled. */
export type Expected =
  | { kind: 'blob'; bytes: Buffer }
  /** a tombstone on every owner */
  | { kind: 'deleted' }
  /** never stored, or stored and deleted: nothing anywhere, or a tombstone on every owner */
  | { kind: 'absent' };

export interface BlobAnswer {
  status: number;
  bytes: Buffer;
  version: string | null;
  servedBy: string | null;
}

export interface ProcessClusterOptions {
  /** names the scratch directory */
  label: string;
  /** blob servers started with the cluster */
  nodes: string[];
  replicationFactor?: number;
  healthIntervalMs?: number;
  heartbeatIntervalMs?: number;
  /** more balancer settings (REBALANCE_INTERVAL_MS, …) */
  balancerEnv?: Record<string, string>;
  /** more settings for every blob server (MAX_BLOBS_IN_FOLDER, …) */
  nodeEnv?: Record<string, string>;
}

/** A balancer and its blob servers, every one a child process; close() in afterAll, whatever happened. */
export class ProcessCluster {
  readonly nodes = new Map<string, ServiceProcess>();

  private constructor(
    readonly balancer: ServiceProcess,
    readonly dataDir: string,
    readonly replicationFactor: number,
    private readonly heartbeatIntervalMs: number,
    private readonly nodeEnv: Record<string, string> = {},
  ) {}

  /** The balancer, then the nodes (which register themselves); resolves once every node is listed healthy. */
  static async start(options: ProcessClusterOptions): Promise<ProcessCluster> {
    const dataDir = await scratchDir(options.label);
    const replicationFactor = options.replicationFactor ?? 2;
    const balancerPort = await freePort();
    const balancer = new ServiceProcess(
      'balancer',
      'load-balancer',
      balancerPort,
      {
        PORT: String(balancerPort),
        HOST: '127.0.0.1',
        REPLICATION_FACTOR: String(replicationFactor),
        HEALTH_INTERVAL_MS: String(options.healthIntervalMs ?? 200),
        HEALTH_TIMEOUT_MS: '1000',
        UPSTREAM_TIMEOUT_MS: '10000',
        BALANCER_ID: '7',
        LOG_LEVEL: 'warn',
        // The nodes announce themselves every few hundred ms here, not every 10 s.
        REBALANCE_START_DELAY_MS: '1000',
        MEMBERSHIP_FILE: path.join(dataDir, 'balancer', 'membership.json'),
        ...options.balancerEnv,
      },
      '/health',
    );
    const cluster = new ProcessCluster(
      balancer,
      dataDir,
      replicationFactor,
      options.heartbeatIntervalMs ?? 300,
      options.nodeEnv,
    );
    try {
      await balancer.start();
      await Promise.all(options.nodes.map((name) => cluster.addNode(name)));
      await cluster.waitForNodes(options.nodes, 'the first nodes to register');
      return cluster;
    } catch (error) {
      await cluster.close();
      throw error;
    }
  }

  get balancerUrl(): string {
    return this.balancer.url;
  }

  node(name: string): ServiceProcess {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no node named ${name} in this cluster`);
    return node;
  }

  /** A new blob server (its own port and data directory); resolves once it answers /ready itself. */
  async addNode(name: string): Promise<ServiceProcess> {
    const port = await freePort();
    // Recorded before it starts, so close() kills it even if it never becomes ready.
    const node = new ServiceProcess(
      name,
      'blob-server',
      port,
      {
        HOST: '127.0.0.1',
        PORT: String(port),
        NODE_NAME: name,
        DATA_DIR: path.join(this.dataDir, name),
        FSYNC: 'false',
        LOAD_BALANCER_URL: this.balancer.url,
        ADVERTISED_HOST: '127.0.0.1',
        HEARTBEAT_INTERVAL_MS: String(this.heartbeatIntervalMs),
        LOG_LEVEL: 'warn',
        ...this.nodeEnv,
      },
      '/ready',
    );
    this.nodes.set(name, node);
    await node.start();
    return node;
  }

  /** kill -9 of the balancer, then a start on the same port with the same settings */
  async restartBalancer(): Promise<void> {
    await this.balancer.kill();
    await this.balancer.start();
  }

  async listNodes(): Promise<ListedNode[]> {
    const response = await fetch(`${this.balancer.url}/internal/nodes`);
    if (!response.ok) throw new Error(`GET /internal/nodes: ${response.status}`);
    return ((await response.json()) as { data: ListedNode[] }).data;
  }

  async rebalance(): Promise<RebalanceProgress> {
    const response = await fetch(`${this.balancer.url}/internal/rebalance`);
    if (!response.ok) throw new Error(`GET /internal/rebalance: ${response.status}`);
    return (await response.json()) as RebalanceProgress;
  }

  /** GET /internal/ring/:id's `nodes`: the id's R owners on the balancer's ring, whatever their health. */
  async ownersOf(id: string): Promise<string[]> {
    const response = await fetch(`${this.balancer.url}/internal/ring/${encodeURIComponent(id)}`);
    if (!response.ok) throw new Error(`GET /internal/ring/${id}: ${response.status}`);
    return ((await response.json()) as { nodes: string[] }).nodes;
  }

  /** Every record (blobs and tombstones) on one node, from the node itself. */
  async recordsOn(name: string): Promise<NodeRecord[]> {
    const node = this.node(name);
    const records: NodeRecord[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const response = await fetch(`${node.url}/internal/blobs?limit=1000${query}`);
      if (!response.ok)
        throw new Error(`GET ${name}/internal/blobs: ${response.status} ${await response.text()}`);
      const page = (await response.json()) as { data: NodeRecord[]; next: string | null };
      records.push(...page.data);
      cursor = page.next;
    } while (cursor !== null);
    return records;
  }

  /** Waits until GET /internal/nodes lists exactly `names`, each healthy and not draining. */
  async waitForNodes(names: string[], what: string, timeoutMs = 30_000): Promise<ListedNode[]> {
    let seen: ListedNode[] = [];
    return waitFor(
      `${what}: ${names.join(', ')} listed healthy`,
      async () => {
        seen = await this.listNodes();
        const ok =
          sameNames(
            seen.map((node) => node.name),
            names,
          ) && seen.every((node) => node.status === 'healthy' && node.draining !== true);
        return ok ? seen : undefined;
      },
      { timeoutMs, seen: () => JSON.stringify(seen.map(brief)) },
    );
  }

  /** Waits until each of `healthy` is listed healthy, whatever else is listed (a restored node that is down). */
  async waitForHealthy(healthy: string[], what: string, timeoutMs = 30_000): Promise<ListedNode[]> {
    let seen: ListedNode[] = [];
    return waitFor(
      `${what}: ${healthy.join(', ')} healthy`,
      async () => {
        seen = await this.listNodes();
        const ok = healthy.every((name) =>
          seen.some((node) => node.name === name && node.status === 'healthy'),
        );
        return ok ? seen : undefined;
      },
      { timeoutMs, seen: () => JSON.stringify(seen.map(brief)) },
    );
  }

  /**
   * Waits until the cluster has settled after something that happened at `since` (ms since the epoch): exactly
   * `names` are listed, healthy, not draining and in sync (a pass that began after each node's last
   * (re)registration gave it every write it missed), and the rebalancer is idle after a pass that started at or
   * after `since`.
   */
  async settle(since: number, names: string[], timeoutMs = 60_000): Promise<RebalanceProgress> {
    let seen = '';
    return waitFor(
      `the cluster to settle (a finished pass started after ${new Date(since).toISOString()})`,
      async () => {
        const [nodes, progress] = await Promise.all([this.listNodes(), this.rebalance()]);
        seen = JSON.stringify({ nodes: nodes.map(brief), progress });
        const membership =
          sameNames(
            nodes.map((node) => node.name),
            names,
          ) &&
          nodes.every((node) => node.status === 'healthy' && node.draining !== true && node.inSync !== false);
        const passAfter =
          progress.state === 'idle' &&
          progress.startedAt !== null &&
          progress.finishedAt !== null &&
          Date.parse(progress.startedAt) >= since &&
          Date.parse(progress.finishedAt) >= Date.parse(progress.startedAt);
        return membership && passAfter ? progress : undefined;
      },
      { timeoutMs, intervalMs: 150, seen: () => seen },
    );
  }

  /**
   * Checked on the running nodes directly: each id in `expected` has a copy on each of its owners and on no other
   * node, the owners' copies agree (same version, kind and etag), and what they hold is what `expected` says (the
   * exact bytes by size and MD5). A record of an id outside `expected` is reported too. One line per problem.
   */
  async placementProblems(expected: ReadonlyMap<string, Expected>): Promise<string[]> {
    const problems: string[] = [];
    const live = [...this.nodes.values()].filter((node) => node.isRunning).map((node) => node.name);
    const onRing = (await this.listNodes()).filter((node) => node.draining !== true).length;
    const held = new Map<string, Map<string, NodeRecord>>();
    for (const name of live) {
      for (const record of await this.recordsOn(name)) {
        const copies = held.get(record.id) ?? new Map<string, NodeRecord>();
        copies.set(name, record);
        held.set(record.id, copies);
      }
    }
    for (const id of held.keys()) {
      if (!expected.has(id))
        problems.push(
          `${id}: held by ${[...(held.get(id)?.keys() ?? [])].join(', ')} but never written by this test`,
        );
    }
    const ids = [...expected.keys()];
    const owners = new Map<string, string[]>();
    await forEachLimit(ids, 8, async (id) => {
      owners.set(id, await this.ownersOf(id));
    });
    for (const id of ids) {
      const want = expected.get(id) as Expected;
      const idOwners = owners.get(id) ?? [];
      const copies = held.get(id) ?? new Map<string, NodeRecord>();
      const describe = () =>
        [...copies].map(([name, r]) => `${name}:v${r.version}${r.deleted ? ':tombstone' : ''}`).join(' ') ||
        'none';
      if (idOwners.length !== Math.min(this.replicationFactor, onRing)) {
        problems.push(`${id}: the ring names ${idOwners.length} owners (${idOwners.join(', ')})`);
      }
      for (const owner of idOwners) {
        if (!live.includes(owner)) problems.push(`${id}: owner ${owner} is not running, cannot check it`);
      }
      const misplaced = [...copies.keys()].filter((name) => !idOwners.includes(name));
      if (misplaced.length > 0)
        problems.push(
          `${id}: copies on non-owners ${misplaced.join(', ')} (owners ${idOwners.join(', ')}; copies ${describe()})`,
        );
      const onOwners = idOwners.filter((owner) => copies.has(owner));
      if (want.kind === 'absent' && onOwners.length === 0 && misplaced.length === 0) continue;
      const missing = idOwners.filter((owner) => live.includes(owner) && !copies.has(owner));
      if (missing.length > 0)
        problems.push(`${id}: no copy on owners ${missing.join(', ')} (copies ${describe()})`);
      const versions = new Set(onOwners.map((owner) => copies.get(owner)?.version));
      if (versions.size > 1) problems.push(`${id}: owners disagree: ${describe()}`);
      for (const owner of onOwners) {
        const record = copies.get(owner) as NodeRecord;
        if (want.kind === 'blob') {
          if (record.deleted)
            problems.push(`${id}: ${owner} holds a tombstone (v${record.version}), expected the blob`);
          else if (record.size !== want.bytes.length || record.etag !== md5Etag(want.bytes)) {
            problems.push(
              `${id}: ${owner} holds ${record.size} bytes ${record.etag} v${record.version}, expected ${want.bytes.length} bytes ${md5Etag(want.bytes)}`,
            );
          }
        } else if (!record.deleted) {
          problems.push(
            `${id}: ${owner} holds a blob (v${record.version}, ${record.size} bytes), expected a tombstone`,
          );
        }
      }
    }
    return problems;
  }

  /** Every id read through the balancer: a blob's exact bytes, 404 for the others. One line per problem. */
  async readProblems(expected: ReadonlyMap<string, Expected>, concurrency = 6): Promise<string[]> {
    const problems: string[] = [];
    await forEachLimit([...expected], concurrency, async ([id, want]) => {
      const problem = await this.readProblem(id, want);
      if (problem) problems.push(problem);
    });
    return problems;
  }

  /** One read through the balancer compared with `want`; undefined when it matches. */
  async readProblem(id: string, want: Expected): Promise<string | undefined> {
    let answer: BlobAnswer;
    try {
      answer = await this.get(id);
    } catch (error) {
      return `${id}: GET failed: ${(error as Error).message}`;
    }
    if (want.kind === 'blob') {
      if (answer.status !== 200)
        return `${id}: GET ${answer.status}, expected 200 (${answer.bytes.toString().slice(0, 300)})`;
      if (!answer.bytes.equals(want.bytes)) {
        return `${id}: GET 200 from ${answer.servedBy} v${answer.version} with ${answer.bytes.length} bytes ${md5Etag(answer.bytes)}, expected ${want.bytes.length} bytes ${md5Etag(want.bytes)}`;
      }
      return undefined;
    }
    if (answer.status !== 404) {
      return `${id}: GET ${answer.status} from ${answer.servedBy} v${answer.version} (${answer.bytes.length} bytes), expected 404`;
    }
    return undefined;
  }

  async get(id: string): Promise<BlobAnswer> {
    const response = await fetch(`${this.balancer.url}/blobs/${encodeURIComponent(id)}`, {
      signal: AbortSignal.timeout(30_000),
    });
    return {
      status: response.status,
      bytes: Buffer.from(await response.arrayBuffer()),
      version: response.headers.get('x-blob-version'),
      servedBy: response.headers.get('x-served-by'),
    };
  }

  /** PUT through the balancer; the status, and the problem's text when it is not 2xx */
  async put(id: string, bytes: Buffer): Promise<{ status: number; detail: string }> {
    const response = await fetch(`${this.balancer.url}/blobs/${encodeURIComponent(id)}`, {
      method: 'PUT',
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return { status: response.status, detail: response.ok ? '' : text.slice(0, 500) };
  }

  async delete(id: string): Promise<{ status: number; detail: string }> {
    const response = await fetch(`${this.balancer.url}/blobs/${encodeURIComponent(id)}`, {
      method: 'DELETE',
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return { status: response.status, detail: response.ok ? '' : text.slice(0, 500) };
  }

  /** The last `lines` lines of every process's output, for a failing test's report. */
  logTail(lines = 60): string {
    return [this.balancer, ...this.nodes.values()]
      .map((process) => `--- ${process.name} ---\n${process.output().split('\n').slice(-lines).join('\n')}`)
      .join('\n');
  }

  /** SIGKILL everything, then remove the data directories. */
  async close(): Promise<void> {
    await Promise.all([this.balancer, ...this.nodes.values()].map((process) => process.kill()));
    await removeDir(this.dataDir);
  }
}

function sameNames(actual: string[], wanted: string[]): boolean {
  return actual.length === wanted.length && wanted.every((name) => actual.includes(name));
}

const brief = (node: ListedNode) => ({
  name: node.name,
  status: node.status,
  draining: node.draining,
  inSync: node.inSync,
  bootId: node.bootId,
});
