// The container test's steps as they run and as a summary at the end: each step's name, whether it passed,
// what it found and how long it took. A failed step is recorded with the first line of its error and rethrown.
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface Record {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}

export class Steps {
  private readonly records: Record[] = [];
  private readonly started = Date.now();

  async step<T>(name: string, work: () => Promise<T>, detail?: (result: T) => string): Promise<T> {
    console.log(`\n==> ${name}`);
    const start = Date.now();
    try {
      const result = await work();
      const record = { name, ok: true, ms: Date.now() - start, detail: detail?.(result) ?? '' };
      this.records.push(record);
      console.log(`    ok (${seconds(record.ms)})${record.detail ? `: ${record.detail}` : ''}`);
      return result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.records.push({ name, ok: false, ms: Date.now() - start, detail: message.split('\n')[0] ?? '' });
      console.log(`    FAILED (${seconds(Date.now() - start)})`);
      throw error;
    }
  }

  get failed(): boolean {
    return this.records.some((record) => !record.ok);
  }

  summary(): string {
    const width = Math.max(...this.records.map((record) => record.name.length), 4);
    const lines = this.records.map(
      (record) =>
        `${record.ok ? 'ok  ' : 'FAIL'}  ${record.name.padEnd(width)}  ${seconds(record.ms).padStart(7)}` +
        (record.detail ? `  ${record.detail}` : ''),
    );
    return [...lines, `total ${seconds(Date.now() - this.started)}`].join('\n');
  }
}
