// Migration versions compared the way Flyway compares them: numerically part by part, so 1.2 < 1.10 < 2, and
// trailing zero parts do not count, so 1 and 1.0 are the same version.
export function compareVersions(a: string, b: string): number {
  const left = versionParts(a);
  const right = versionParts(b);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0n) - (right[i] ?? 0n);
    if (difference !== 0n) return difference < 0n ? -1 : 1;
  }
  return 0;
}

// BigInt because versions are often timestamps (V20240131120000) that overflow 2^53.
function versionParts(version: string): bigint[] {
  return version.split(/[._]/).map((part) => BigInt(part));
}

export function newestVersion(versions: Iterable<string>): string | null {
  let newest: string | null = null;
  for (const version of versions) {
    if (newest === null || compareVersions(version, newest) > 0) newest = version;
  }
  return newest;
}
