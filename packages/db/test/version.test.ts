import { describe, expect, it } from 'vitest';
import { compareVersions, newestVersion } from '../src/version.js';

describe('compareVersions', () => {
  it('compares part by part, as numbers', () => {
    const sorted = ['10', '1.10', '2', '1', '1.2'].sort(compareVersions);
    expect(sorted).toEqual(['1', '1.2', '1.10', '2', '10']);
  });

  it('ignores trailing zero parts, like Flyway', () => {
    expect(compareVersions('1', '1.0.0')).toBe(0);
    expect(compareVersions('1.0.1', '1')).toBe(1);
  });

  it('handles timestamp versions beyond 2^53', () => {
    expect(compareVersions('20240131120000000001', '20240131120000000000')).toBe(1);
  });
});

describe('newestVersion', () => {
  it('is null for no versions', () => {
    expect(newestVersion([])).toBeNull();
  });

  it('picks the highest version, not the last string', () => {
    expect(newestVersion(['9', '10', '1.10'])).toBe('10');
  });
});
