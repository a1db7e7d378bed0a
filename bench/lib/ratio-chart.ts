// A scenario's ratios as a horizontal bar chart (SVG), so a reader sees at a glance where the project stands
// against each baseline. The axis is logarithmic, 0.1× to 10×, with a line at 1×: a bar that ends left of the
// line is worse than its baseline, to the right better, and 0.5× and 2× lie equally far from it. A ratio outside
// the axis is drawn to its end and its label says the real value. Rows without a ratio (no baseline) are left out.
import type { RatedRow } from './scenario.js';
import { escapeXml } from './svg.js';

const MIN_RATIO = 0.1;
const MAX_RATIO = 10;
const LABEL_WIDTH = 300;
const PLOT_WIDTH = 360;
const VALUE_WIDTH = 70;
const ROW_HEIGHT = 22;
const TOP = 28;
const BOTTOM = 24;
const TICKS = [0.1, 0.2, 0.5, 1, 2, 5, 10];
// What fits in LABEL_WIDTH at 12 px; a longer label is cut, and the whole one is the bar's tooltip.
const MAX_LABEL_CHARS = 46;

/** The x position of a ratio on the plot, clamped to the axis. */
function xOf(ratio: number): number {
  const clamped = Math.min(MAX_RATIO, Math.max(MIN_RATIO, ratio));
  const span = Math.log10(MAX_RATIO) - Math.log10(MIN_RATIO);
  return LABEL_WIDTH + ((Math.log10(clamped) - Math.log10(MIN_RATIO)) / span) * PLOT_WIDTH;
}

export function ratioChartSvg(scenario: string, rows: RatedRow[]): string {
  const rated = rows.filter((row): row is RatedRow & { ratio: number } => row.ratio !== null);
  const width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH;
  const height = TOP + rated.length * ROW_HEIGHT + BOTTOM;
  const one = xOf(1);
  const bars = rated.map((row, index) => {
    const y = TOP + index * ROW_HEIGHT;
    const end = xOf(row.ratio);
    const [from, to] = end >= one ? [one, end] : [end, one];
    const better = row.ratio >= 1;
    const label = `${row.case} · ${row.metric}`;
    const shown = label.length > MAX_LABEL_CHARS ? `${label.slice(0, MAX_LABEL_CHARS - 1)}…` : label;
    return [
      `<g><title>${escapeXml(`${label}: ${row.ratio.toFixed(2)}×`)}</title>`,
      `<text x="${LABEL_WIDTH - 8}" y="${y + 15}" text-anchor="end">${escapeXml(shown)}</text>`,
      `<rect class="${better ? 'better' : 'worse'}" x="${from.toFixed(1)}" y="${y + 4}" width="${Math.max(1, to - from).toFixed(1)}" height="${ROW_HEIGHT - 8}"/>`,
      `<text x="${LABEL_WIDTH + PLOT_WIDTH + 8}" y="${y + 15}">${row.ratio.toFixed(2)}×</text></g>`,
    ].join('');
  });
  const axisY = TOP + rated.length * ROW_HEIGHT;
  const ticks = TICKS.map((tick) => {
    const x = xOf(tick).toFixed(1);
    return `<line class="tick" x1="${x}" y1="${TOP}" x2="${x}" y2="${axisY}"/><text x="${x}" y="${axisY + 16}" text-anchor="middle">${tick}×</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(`${scenario}: ratio of the project to its baseline per case`)}">`,
    '<style>text{font:12px sans-serif;fill:#444}.tick{stroke:#ddd}.one{stroke:#444}.better{fill:#3a9a5b}.worse{fill:#d9822b}</style>',
    `<text x="${LABEL_WIDTH}" y="16">${escapeXml(scenario)}: project ÷ baseline (right of 1× is better)</text>`,
    ...ticks,
    ...bars,
    `<line class="one" x1="${one.toFixed(1)}" y1="${TOP - 4}" x2="${one.toFixed(1)}" y2="${axisY}"/>`,
    '</svg>',
    '',
  ].join('\n');
}
