// The Dockerfile, linted: valid syntax (dockerfile-utils), and what docs/deployment.md promises of the images — a
// target per service folder and one for the migrations, every stage from the pinned node:20-bookworm-slim, pnpm
// pinned to package.json's version, `pnpm fetch` before the sources, `pnpm deploy --prod` for the runtime
// packages, and runtime images that run node as a non-root user in production mode with a HEALTHCHECK that needs no
// curl; .dockerignore keeps the local state out of the build context. Each rule is also shown failing.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/compose.js';
import { SERVICE_FOLDERS } from './support/service-settings.js';
import {
  dockerfileProblems,
  dockerfileTargets,
  dockerignoreProblems,
  syntaxProblems,
  type DockerfileRules,
} from './support/dockerfile.js';

const text = await readFile(new URL('Dockerfile', ROOT), 'utf8');
const manifest = JSON.parse(await readFile(new URL('package.json', ROOT), 'utf8')) as {
  packageManager: string;
};
const rules: DockerfileRules = {
  services: [...SERVICE_FOLDERS],
  baseImage: 'node:20-bookworm-slim',
  pnpmVersion: manifest.packageManager.replace(/^pnpm@/, ''),
};

/** The real Dockerfile with one exact piece of it replaced; fails if the piece is not there. */
function edited(from: string | RegExp, to: string): string {
  const changed = text.replace(from, to);
  expect(changed, `the Dockerfile no longer contains ${String(from)}`).not.toBe(text);
  return changed;
}

describe('the Dockerfile syntax', () => {
  it('is valid', () => {
    expect(syntaxProblems(text)).toEqual([]);
  });

  it('is refused with a misspelt instruction', () => {
    expect(syntaxProblems(edited('HEALTHCHECK --interval', 'HEALTHCHEK --interval'))).toContainEqual(
      expect.stringContaining('Unknown instruction: HEALTHCHEK'),
    );
  });
});

describe('the images', () => {
  it('keep every rule', () => {
    expect(dockerfileProblems(text, rules)).toEqual([]);
  });

  it('have a target for each service folder and the migrations, named as the folder', () => {
    expect(dockerfileTargets(text)).toEqual(expect.arrayContaining([...SERVICE_FOLDERS, 'migrate']));
  });

  const cases: Array<[string, () => string, string]> = [
    ['a service without a target', () => edited('AS the-wolf', 'AS wolf'), 'no target the-wolf'],
    [
      'an unpinned base image',
      () => edited('FROM node:20-bookworm-slim AS runtime', 'FROM node:latest AS runtime'),
      'runtime starts from node:latest: pin a tag (not latest)',
    ],
    [
      'another base image',
      () => edited('FROM node:20-bookworm-slim AS runtime', 'FROM node:22-alpine AS runtime'),
      'runtime starts from node:22-alpine, not node:20-bookworm-slim',
    ],
    ['a runtime image running as root', () => edited(/USER 10001:10001\n/g, ''), 'user-service runs as root'],
    [
      'a package manager as the command',
      () =>
        edited(
          'CMD ["node", "--enable-source-maps", "dist/server.js"]\n\nFROM service AS blob-server',
          'CMD pnpm start\n\nFROM service AS blob-server',
        ),
      'blob-server must run node itself, in the exec form: CMD ["node", …]',
    ],
    [
      'a healthcheck that needs curl',
      () => edited(/CMD \["node", "-e", "fetch[^\n]*/, 'CMD curl -f http://127.0.0.1:3000/health || exit 1'),
      "cache-proxy's HEALTHCHECK needs curl, which the image does not have",
    ],
    [
      'no healthcheck',
      () => edited(/HEALTHCHECK --interval[^\n]*\n[^\n]*\n/, ''),
      'analytics-service has no HEALTHCHECK',
    ],
    [
      'development mode',
      () => edited('ENV NODE_ENV=production', 'ENV NODE_ENV=development'),
      'migrate must set NODE_ENV=production',
    ],
    [
      'pnpm not pinned',
      () => edited(`pnpm@${rules.pnpmVersion}`, 'pnpm@latest'),
      `pnpm must be installed with npm, pinned to ${rules.pnpmVersion} (package.json's packageManager)`,
    ],
    [
      'the sources copied before `pnpm fetch`',
      () => edited('COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./', 'COPY . .'),
      '`pnpm fetch` must run on the lockfile before the sources are copied, so its layer is reused',
    ],
  ];
  it.each(cases)('finds %s', (_, broken, problem) => {
    expect(dockerfileProblems(broken(), rules)).toContain(problem);
  });
});

describe('.dockerignore', () => {
  const required = ['node_modules', '.data', '.logs', '.git', '.env'];

  it('keeps installed packages, local data, logs, git and .env out of the build context', async () => {
    expect(dockerignoreProblems(await readFile(new URL('.dockerignore', ROOT), 'utf8'), required)).toEqual(
      [],
    );
  });

  it('is caught letting node_modules in', async () => {
    const text = (await readFile(new URL('.dockerignore', ROOT), 'utf8')).replace('**/node_modules\n', '');
    expect(dockerignoreProblems(text, required)).toEqual([
      '.dockerignore does not keep node_modules out of the build context',
    ]);
  });
});
