// Progress reporting, phase by phase. The sort only calls the Progress interface; the CLI gives it a
// cli-progress bar on stderr when stderr is a terminal, and nothing otherwise, so that logs and pipes get no
// control characters.
import cliProgress from 'cli-progress';
import { formatMiB } from './args.js';

export interface Progress {
  /** A phase begins; `totalBytes` is what it will read (the input for the runs, the runs for a merge pass). */
  start(phase: string, totalBytes: number): void;
  /** Bytes of the phase done so far. */
  update(bytes: number): void;
  stop(): void;
}

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress | undefined {
  if (!stream.isTTY) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{phase} [{bar}] {percentage}% | {done} of {size}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let active = false;
  return {
    start(phase, totalBytes) {
      if (active) bar.stop();
      active = true;
      bar.start(totalBytes, 0, { phase: phase.padEnd(16), done: formatMiB(0), size: formatMiB(totalBytes) });
    },
    update(bytes) {
      bar.update(bytes, { done: formatMiB(bytes) });
    },
    stop() {
      if (active) bar.stop();
      active = false;
    },
  };
}
