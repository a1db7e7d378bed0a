import { describe, expect, it } from 'vitest';
import { ratioChartSvg } from '../lib/ratio-chart.js';
import type { RatedRow } from '../lib/scenario.js';

const row = (name: string, ratio: number | null): RatedRow => ({
  case: name,
  metric: 'req/s',
  project: 1,
  baseline: 1,
  higherIsBetter: true,
  ratio,
});

/** Each bar as [label, class, left x, right x, value shown]. */
function bars(svg: string): Array<[string, string, number, number, string]> {
  const found = [
    ...svg.matchAll(
      /<text[^>]*text-anchor="end">([^<]*)<\/text><rect class="(\w+)" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*\/><text[^>]*>([^<]*)<\/text>/g,
    ),
  ];
  return found.map(([, label, kind, x, width, value]) => [
    label ?? '',
    kind ?? '',
    Number(x),
    Number(x) + Number(width),
    value ?? '',
  ]);
}

const oneX = (svg: string) => Number(/<line class="one" x1="([\d.]+)"/.exec(svg)?.[1]);

describe('ratioChartSvg', () => {
  it('draws one bar per rated row, from 1× to the ratio: right when better, left when worse', () => {
    const svg = ratioChartSvg('demo', [row('fast', 2), row('no baseline', null), row('slow', 0.5)]);
    const one = oneX(svg);

    const [fast, slow, ...rest] = bars(svg);
    expect(rest).toEqual([]);
    expect(fast).toEqual(['fast · req/s', 'better', one, expect.any(Number), '2.00×']);
    expect(slow).toEqual(['slow · req/s', 'worse', expect.any(Number), one, '0.50×']);
    // A log axis: 2× and 0.5× lie equally far from 1×.
    expect((fast?.[3] ?? 0) - one).toBeCloseTo(one - (slow?.[2] ?? 0), 1);
  });

  it('draws a ratio beyond the axis to its end and says the real value', () => {
    const svg = ratioChartSvg('demo', [
      row('huge', 50),
      row('tiny', 0.01),
      row('ten', 10),
      row('tenth', 0.1),
    ]);
    const [huge, tiny, ten, tenth] = bars(svg);
    expect(huge?.[3]).toBe(ten?.[3]);
    expect(huge?.[4]).toBe('50.00×');
    expect(tiny?.[2]).toBe(tenth?.[2]);
    expect(tiny?.[4]).toBe('0.01×');
  });

  it('escapes what it writes and cuts a long label, keeping the whole one as the tooltip', () => {
    const long = 'ring lookup by id (MD5 + binary search) <10 nodes> & more, much more than fits';
    const svg = ratioChartSvg('a & b', [row(long, 1.5)]);

    expect(svg).not.toMatch(/<10 nodes>|& more|a & b/);
    const [bar] = bars(svg);
    expect(bar?.[0]).toMatch(/…$/);
    expect(bar?.[0].length).toBeLessThan(long.length);
    expect(svg).toContain('&lt;10 nodes&gt; &amp; more, much more than fits · req/s: 1.50×</title>');
  });
});
