import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { flywayChecksum } from '../src/checksum.js';

// Pinned by running Flyway itself on each file's exact bytes; `about` in the JSON says how Flyway computes them.
const vectorsUrl = new URL('./fixtures/flyway-checksums.json', import.meta.url);
const { cases } = JSON.parse(readFileSync(vectorsUrl, 'utf8')) as {
  cases: Array<{ name: string; content_base64: string; checksum: number }>;
};

describe('flywayChecksum', () => {
  it('has test vectors to check', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases)('matches Flyway for $name', ({ content_base64, checksum }) => {
    const content = Buffer.from(content_base64, 'base64');
    expect(flywayChecksum(content)).toBe(checksum);
    expect(flywayChecksum(content.toString('utf8'))).toBe(checksum);
  });
});
