// A stream that collects what a logger writes, parsed back into one object per line.
import { Writable } from 'node:stream';

export function captureLines(): { stream: Writable; records: () => Record<string, unknown>[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const records = () =>
    text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, records };
}
