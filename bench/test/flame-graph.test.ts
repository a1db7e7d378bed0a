import { describe, expect, it } from 'vitest';
import { frameName, ownerOf, summarizeProfile, type CpuProfile } from '../lib/cpu-profile.js';
import { flameGraphSvg } from '../lib/flame-graph.js';

const ROOT = '/repo';
const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

/**
 * Samples per frame:
 * (root) 0 ─┬─ (idle) 49
 *           ├─ handle app.ts 10 ─┬─ serialize fast-json 20
 *           │                    └─ handle app.ts 5 (a recursive call) ─ writev node:net 15
 *           └─ (garbage collector) 1
 */
const profile: CpuProfile = {
  startTime: 0,
  endTime: 2_000_000,
  nodes: [
    { id: 1, callFrame: frame('(root)'), hitCount: 0, children: [2, 3, 7] },
    { id: 2, callFrame: frame('(idle)'), hitCount: 49 },
    {
      id: 3,
      callFrame: frame('handle', 'file:///repo/services/x/src/app.ts', 9),
      hitCount: 10,
      children: [4, 5],
    },
    {
      id: 4,
      callFrame: frame('serialize', 'file:///repo/node_modules/.pnpm/f@1/node_modules/fast-json/index.js', 0),
      hitCount: 20,
    },
    {
      id: 5,
      callFrame: frame('handle', 'file:///repo/services/x/src/app.ts', 9),
      hitCount: 5,
      children: [6],
    },
    { id: 6, callFrame: frame('writev', 'node:net'), hitCount: 15 },
    { id: 7, callFrame: frame('(garbage collector)'), hitCount: 1 },
  ],
};

describe('summarizeProfile', () => {
  const summary = summarizeProfile(profile, ROOT);

  it('names frames by function and file, relative to the repository or the package', () => {
    expect(frameName(frame('f', 'file:///repo/packages/a/src/b.ts', 4), ROOT)).toEqual({
      name: 'f packages/a/src/b.ts', // compiled by tsx: V8's line is not the file's
      kind: 'project',
    });
    expect(frameName(frame('f', 'file:///repo/lessons/x/dist/y.js', 4), ROOT).name).toBe(
      'f lessons/x/dist/y.js:5',
    );
    expect(frameName(frame('', 'file:///repo/node_modules/.pnpm/x@1/node_modules/x/i.js', 0), ROOT)).toEqual({
      name: '(anonymous) x/i.js:1',
      kind: 'dependency',
    });
    expect(frameName(frame('writev', 'node:internal/stream_base_commons'), ROOT).kind).toBe('node');
    expect(frameName(frame('(idle)'), ROOT)).toEqual({ name: '(idle)', kind: 'engine' });
    expect(ownerOf('send @fastify/x/lib/a.js:3', 'dependency')).toBe('@fastify/x');
    expect(ownerOf('writev', 'node')).toBe('native writev');
  });

  it('shares time among all samples, idle included, counting a recursive function once per stack', () => {
    expect(summary.samples).toBe(100);
    expect(summary.durationMs).toBe(2000);
    expect(summary.bySelf.map((cost) => [cost.name, cost.share])).toEqual([
      ['(idle)', 0.49],
      ['serialize fast-json/index.js:1', 0.2],
      ['handle services/x/src/app.ts', 0.15],
      ['writev node:net', 0.15],
      ['(garbage collector)', 0.01],
    ]);
    expect(summary.byOwner.map((cost) => [cost.name, cost.share])).toEqual([
      ['(idle)', 0.49],
      ['fast-json', 0.2],
      ['node:net', 0.15],
      ['services/x/src/app.ts', 0.15],
      ['(garbage collector)', 0.01],
    ]);
    const handle = summary.byTotal.find((cost) => cost.name.startsWith('handle'));
    expect(handle?.share).toBe(0.5); // 10 + 20 + 5 + 15, not 10 + 20 + 2 × (5 + 15)
  });
});

describe('flameGraphSvg', () => {
  const svg = flameGraphSvg('demo', summarizeProfile(profile, ROOT));
  /** Each box as [x, y, width, name in its tooltip]. */
  const boxes = [
    ...svg.matchAll(/<title>([^<]*): [\d.]+ %<\/title><rect x="([\d.]+)" y="(\d+)" width="([\d.]+)"/g),
  ].map(([, name, x, y, width]) => ({ name, x: Number(x), y: Number(y), width: Number(width) }));

  it('draws each busy frame as wide as its share of the busy samples, callees above their caller', () => {
    const byName = (prefix: string) => boxes.filter((box) => box.name?.startsWith(prefix));
    const [outer, inner] = byName('handle');
    const [serialize] = byName('serialize');
    const [writev] = byName('writev');
    const [gc] = byName('(garbage collector)');
    const px = (samples: number) => Number(((samples / 51) * 1200).toFixed(1)); // 51 busy samples, 1200 px
    expect(byName('(idle)')).toEqual([]);
    expect(svg).toContain('49 % idle (not drawn)');
    expect(outer).toMatchObject({ x: 0, width: px(50), name: 'handle services/x/src/app.ts' });
    expect(serialize).toMatchObject({ x: 0, width: px(20) });
    expect(inner).toMatchObject({ x: px(20), width: px(20) });
    expect(writev).toMatchObject({ x: px(20), width: px(15) });
    expect(gc).toMatchObject({ x: px(50), width: px(1) });
    // Deeper frames are drawn higher (smaller y), 16 px a row.
    expect(outer!.y - serialize!.y).toBe(16);
    expect(inner!.y - writev!.y).toBe(16);
    expect(gc!.y).toBe(outer!.y);
    expect(svg).toContain('<title>handle services/x/src/app.ts: 98.0 %</title>');
  });

  it('escapes names and leaves out boxes too narrow to see', () => {
    const tiny: CpuProfile = {
      ...profile,
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2, 3] },
        { id: 2, callFrame: frame('a<b>&"c"', 'file:///repo/x.ts'), hitCount: 9_999 },
        { id: 3, callFrame: frame('speck', 'file:///repo/y.ts'), hitCount: 1 },
      ],
    };
    const drawn = flameGraphSvg('tiny', summarizeProfile(tiny, ROOT));
    expect(drawn).toContain('a&lt;b&gt;&amp;&quot;c&quot; x.ts');
    expect(drawn).not.toContain('speck'); // 0.12 px wide
  });
});
