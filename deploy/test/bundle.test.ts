// The image build's own checks (deploy/build): verify-deploy.ts passes a deploy folder that holds every package a
// bundle imports in the version it was built against, and fails the build, naming the package, on one that is
// missing or in another version: the bundle would not start, or would run against code it was not built with.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const verifyDeploy = fileURLToPath(new URL('../build/verify-deploy.ts', import.meta.url));
let scratch = '';

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'verify-deploy-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A deploy folder whose node_modules holds these packages at these versions, and the bundle's externals.json. */
async function setUp(label: string, installed: Record<string, string>, imported: Record<string, string>) {
  const deployDir = path.join(scratch, label);
  for (const [name, version] of Object.entries(installed)) {
    await mkdir(path.join(deployDir, 'node_modules', name), { recursive: true });
    await writeFile(
      path.join(deployDir, 'node_modules', name, 'package.json'),
      JSON.stringify({ name, version }),
    );
  }
  const externals = path.join(scratch, `${label}.externals.json`);
  await writeFile(externals, JSON.stringify(imported));
  return { deployDir, externals };
}

function verify(externals: string, deployDir: string) {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', verifyDeploy, externals, deployDir]).then(
    ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe('verify-deploy', () => {
  it('passes a folder with every imported package in its version', async () => {
    const { deployDir, externals } = await setUp(
      'complete',
      { fastify: '5.12.8', '@fastify/swagger': '9.9.3', extra: '1.0.0' },
      { fastify: '5.12.8', '@fastify/swagger': '9.9.3' },
    );
    const result = await verify(externals, deployDir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('the 2 packages its bundle imports are there');
  });

  it('fails on a missing package and on another version, naming both', async () => {
    const { deployDir, externals } = await setUp(
      'incomplete',
      { fastify: '5.12.7' },
      { fastify: '5.12.8', typebox: '1.4.3' },
    );
    const result = await verify(externals, deployDir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('fastify is 5.12.7 there, the bundle was built against 5.12.8');
    expect(result.stderr).toContain(`typebox is not in ${path.join(deployDir, 'node_modules')}`);
  });
});
