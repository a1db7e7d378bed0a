// A CPU profile's call tree as a flame graph (SVG): each box a function, as wide as its share of the busy
// samples, stacked on the function that called it. Idle samples are left out (the title says their share): a
// server under a load generator on the same machine idles much of the time, and drawn, the idle box would
// squeeze the work into a corner. Colour says whose code it is: the project's (orange),
// a dependency's (blue), Node's (grey), the engine's GC and program states (green). Boxes narrower than
// MIN_WIDTH pixels are left out, with everything they called, as they could not be read; a box's tooltip holds
// its whole name and share.
import type { Frame, FrameKind, ProfileSummary } from './cpu-profile.js';
import { escapeXml } from './svg.js';

const WIDTH = 1200;
const ROW_HEIGHT = 16;
const TOP = 24;
const MIN_WIDTH = 2;
const CHAR_WIDTH = 6.2; // of 10.5 px sans-serif, roughly
const COLOURS: Record<FrameKind, string> = {
  project: '#e8944a',
  dependency: '#6fa8dc',
  node: '#b7b7b7',
  engine: '#8fc98f',
};

interface Box {
  frame: Frame;
  x: number;
  width: number;
  depth: number;
}

export function flameGraphSvg(title: string, summary: ProfileSummary): string {
  const boxes = visibleBoxes(summary);
  const deepest = Math.max(0, ...boxes.map((box) => box.depth));
  // A flame graph grows upwards: the bottom row (the root's children) is drawn lowest.
  const height = TOP + (deepest + 1) * ROW_HEIGHT + 4;
  const busy = summary.busySamples;
  const body = boxes.map(({ frame, x, width, depth }) => {
    const y = TOP + (deepest - depth) * ROW_HEIGHT;
    const share = (frame.totalSamples / busy) * 100;
    const room = Math.floor((width - 6) / CHAR_WIDTH);
    const label =
      room < 3 ? '' : frame.name.length <= room ? frame.name : `${frame.name.slice(0, room - 1)}…`;
    return (
      `<g><title>${escapeXml(`${frame.name}: ${share.toFixed(1)} %`)}</title>` +
      `<rect x="${x.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${ROW_HEIGHT - 1}" fill="${COLOURS[frame.kind]}"/>` +
      (label ? `<text x="${(x + 3).toFixed(1)}" y="${y + 11}">${escapeXml(label)}</text>` : '') +
      '</g>'
    );
  });
  const seconds = (summary.durationMs / 1000).toFixed(1);
  const idle = (1 - summary.busyShare) * 100;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeXml(`flame graph: ${title}`)}">`,
    '<style>text{font:10.5px sans-serif;fill:#222}rect{stroke:#fff;stroke-width:0.5}</style>',
    `<text x="0" y="14" style="font-size:12px">${escapeXml(`${title}: ${summary.samples.toLocaleString('en-US')} samples over ${seconds} s, ${idle.toFixed(0)} % idle (not drawn); width = share of the busy samples`)}</text>`,
    ...body,
    '</svg>',
  ].join('\n');
}

/** Every box wide enough to draw, depth 0 being the root's children other than idle. */
function visibleBoxes(summary: ProfileSummary): Box[] {
  const boxes: Box[] = [];
  const busy = summary.busySamples;
  const scale = busy === 0 ? 0 : WIDTH / busy;
  const place = (frames: Frame[], x: number, depth: number) => {
    for (const frame of frames) {
      const width = frame.totalSamples * scale;
      if (width >= MIN_WIDTH) {
        boxes.push({ frame, x, width, depth });
        place(frame.children, x, depth + 1);
      }
      x += width;
    }
  };
  place(
    summary.root.children.filter((frame) => frame.name !== '(idle)'),
    0,
    0,
  );
  return boxes;
}
