// A V8 CPU profile (`node --cpu-prof`'s .cpuprofile) read into what a reader of a benchmark asks: where did the
// time go? Each frame gets a readable name (`function file:line`, the file relative to the repository or to its
// package in node_modules) and a kind (the project's code, a dependency, Node itself, or the engine's own
// states: idle, GC, program). Times are in samples' share of the whole profile, idle included, so a process that
// waits on its client half the time shows it.
//
// Inclusive time counts a function once per sample however often it recurses in that stack, so no share is
// above 100 %.

export type FrameKind = 'project' | 'dependency' | 'node' | 'engine';

export interface Frame {
  /** e.g. `onResponse services/cache-proxy/src/app.ts:41`, `writev node:internal/stream_base_commons`, `(idle)` */
  name: string;
  kind: FrameKind;
  /** Samples taken in this frame itself, and in it or anything it called. */
  selfSamples: number;
  totalSamples: number;
  children: Frame[];
}

export interface Cost {
  name: string;
  kind: FrameKind;
  /** Share of all samples, 0..1. */
  share: number;
}

export interface ProfileSummary {
  /** The call tree, its root holding every sample. */
  root: Frame;
  samples: number;
  /** The samples not idle, and their share of all (0..1). */
  busySamples: number;
  busyShare: number;
  /** Wall time the profile covers, in ms. */
  durationMs: number;
  bySelf: Cost[];
  byTotal: Cost[];
  /** Self time summed per owner: a dependency's package, a project file, a Node module, a native call. */
  byOwner: Cost[];
}

/** The parts of the .cpuprofile format read here. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
    children?: number[];
  }>;
  startTime: number;
  endTime: number;
}

const ENGINE_STATES = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

export function frameName(
  callFrame: CpuProfile['nodes'][number]['callFrame'],
  repositoryRoot: string,
): { name: string; kind: FrameKind } {
  const fn = callFrame.functionName || '(anonymous)';
  if (ENGINE_STATES.has(fn) && callFrame.url === '') return { name: fn, kind: 'engine' };
  let url = callFrame.url.replace(/^file:\/\//, '');
  if (url === '') return { name: fn, kind: 'node' }; // a builtin without a source file
  // node:…, and code Node itself compiled (wasm://… of its module lexer)
  if (!url.startsWith('/')) return { name: `${fn} ${url}`, kind: 'node' };
  const line = callFrame.lineNumber + 1; // 0-based in the profile
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    // node_modules/.pnpm/<pkg>@<version>/node_modules/<pkg>/lib/x.js → <pkg>/lib/x.js
    return { name: `${fn} ${url.slice(modules + '/node_modules/'.length)}:${line}`, kind: 'dependency' };
  }
  if (url.startsWith(`${repositoryRoot}/`)) url = url.slice(repositoryRoot.length + 1);
  // TypeScript run by tsx: V8's positions are in the compiled text, not the file a reader opens.
  return { name: url.endsWith('.ts') ? `${fn} ${url}` : `${fn} ${url}:${line}`, kind: 'project' };
}

export function summarizeProfile(profile: CpuProfile, repositoryRoot: string, top = 10): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfByName = new Map<string, Cost>();
  const totalByName = new Map<string, Cost>();
  const selfByOwner = new Map<string, Cost>();

  const build = (id: number, onStack: ReadonlySet<string>): Frame => {
    const node = byId.get(id);
    if (!node) throw new Error(`the profile names node ${id}, which it does not hold`);
    const { name, kind } = frameName(node.callFrame, repositoryRoot);
    const stack = onStack.has(name) ? onStack : new Set([...onStack, name]);
    const children = (node.children ?? []).map((child) => build(child, stack));
    const selfSamples = node.hitCount ?? 0;
    const totalSamples = selfSamples + children.reduce((sum, child) => sum + child.totalSamples, 0);
    add(selfByName, name, kind, selfSamples);
    add(selfByOwner, ownerOf(name, kind), kind, selfSamples);
    // Only the outermost call of a recursive function counts its time.
    if (!onStack.has(name)) add(totalByName, name, kind, totalSamples);
    return { name, kind, selfSamples, totalSamples, children };
  };

  const rootNode = profile.nodes[0];
  if (!rootNode) throw new Error('the profile holds no nodes');
  const root = build(rootNode.id, new Set());
  const samples = root.totalSamples;
  const idle = root.children.find((frame) => frame.name === '(idle)')?.totalSamples ?? 0;
  const busySamples = samples - idle;
  const ranked = (costs: Map<string, Cost>) =>
    [...costs.values()]
      .filter((cost) => cost.name !== '(root)')
      .map((cost) => ({ ...cost, share: samples === 0 ? 0 : cost.share / samples }))
      .sort((a, b) => b.share - a.share || a.name.localeCompare(b.name))
      .slice(0, top);
  return {
    root,
    samples,
    busySamples,
    busyShare: samples === 0 ? 0 : busySamples / samples,
    durationMs: (profile.endTime - profile.startTime) / 1000,
    bySelf: ranked(selfByName),
    byTotal: ranked(totalByName),
    byOwner: ranked(selfByOwner),
  };
}

/**
 * Whose code a frame runs: `fastify`, `@fastify/x`, `services/x/src/app.ts`, `node:net`, or for a call into
 * Node's C++ (a name without a file: `writev`, `read`), `native writev`.
 */
export function ownerOf(name: string, kind: FrameKind): string {
  if (kind === 'engine') return name;
  const space = name.lastIndexOf(' ');
  if (space === -1) return `native ${name}`;
  const where = name.slice(space + 1).replace(/:\d+$/, '');
  if (kind === 'node') return where;
  if (kind === 'project') return where;
  const parts = where.split('/');
  return where.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? where);
}

/** Adds samples to a name's cost (its share holds the sample count until ranked). */
function add(costs: Map<string, Cost>, name: string, kind: FrameKind, samples: number): void {
  const cost = costs.get(name);
  if (cost) cost.share += samples;
  else costs.set(name, { name, kind, share: samples });
}
