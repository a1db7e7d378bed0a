// Type-aware linting for every TypeScript file in the workspace. The rules that matter most here are the
// promise rules: a floating promise in a server is a lost error or a request that never finishes. Then the
// boundaries: services talk to each other over HTTP only, packages and lessons stand on their own, and a domain
// folder does not know it is served by Fastify.
import { readdirSync, readFileSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Each service's folder under services/ and its package name (they are the same today). */
const services = readdirSync(new URL('./services/', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map(({ name: folder }) => {
    const manifest = new URL(`./services/${folder}/package.json`, import.meta.url);
    return {
      folder,
      name: /** @type {{ name: string }} */ (JSON.parse(readFileSync(manifest, 'utf8'))).name,
    };
  });

/** @param {string} text */
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** An import of service `service`: by package name, or by a relative path into its folder. */
const serviceImports = (service, { testingExport = false } = {}) => [
  {
    regex: testingExport ? `^${escape(service.name)}(?!/testing$)(/.*)?$` : `^${escape(service.name)}(/.*)?$`,
    message: testingExport
      ? `a service does not import another service: start it as a process, or use the \`${service.name}/testing\` export it publishes for other services' tests.`
      : 'a service does not import another service: they talk over HTTP. Tests may use a `testing` export the other service publishes, from test files only.',
  },
  {
    regex: `^(\\.\\./)+(services/)?${escape(service.folder)}(/|$)`,
    message: "a service does not reach into another service's folder: they talk over HTTP.",
  },
];

const benchImports = {
  regex: '^(\\.\\./)+bench(/|$)',
  message: 'bench/ measures the code; nothing in services, packages or lessons depends on it.',
};

const anyServiceImports = [
  ...services.map((service) => ({
    regex: `^${escape(service.name)}(/.*)?$`,
    message:
      'packages and lessons never import a service: services are built from packages, not the other way.',
  })),
  {
    regex: '^(\\.\\./)+services(/|$)',
    message:
      'packages and lessons never import a service: services are built from packages, not the other way.',
  },
];

const lessonImports = [
  {
    regex: '^@backend-rebase/lesson-',
    message: 'packages never import a lesson: lessons are built from packages.',
  },
  {
    regex: '^(\\.\\./)+lessons(/|$)',
    message: 'packages never import a lesson: lessons are built from packages.',
  },
];

const fastifyImports = {
  regex: '^(fastify|@fastify/.*)$',
  message:
    'a domain folder (storage, cluster, cache, users, …) does not know about Fastify: routes/, http/, proxy/ and app.ts turn its results into answers.',
};

/** In a service, the logger is @backend-rebase/logger's, not Fastify's pino view (the kit wires that one). */
const restrictedPaths = [
  {
    name: 'fastify',
    importNames: ['FastifyBaseLogger'],
    message: "use Logger from '@backend-rebase/logger' (request.logger, app.logger): one logger call shape.",
  },
];

/**
 * @param {Array<{ regex: string, message: string }>} patterns
 * @param {{ inService?: boolean }} [where] services' code also may not type a logger as Fastify's
 */
const restrictImports = (patterns, { inService = false } = {}) => [
  'error',
  { paths: inService ? restrictedPaths : [], patterns },
];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '.data/**',
      '.logs/**',
      'docs/.vitepress/cache/**',
      'docs/.vitepress/dist/**',
      'bench/results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Route plugins are `async (app, options) => { … }` with no await inside: the template's plugin style.
      '@typescript-eslint/require-await': 'off',
      'no-restricted-syntax': [
        'error',
        {
          selector: 'PrivateIdentifier',
          message:
            'use TypeScript `private` / `private readonly` members, not `#name` (one private-member style).',
        },
        {
          // Fastify's request.log / app.log / reply.log is its pino view of the logger: pino's call shape
          // (fields first) would come back. The kit gives request.logger and app.logger, winston's shape.
          selector:
            "MemberExpression[property.name='log']:matches([object.name=/^(request|req|reply|app|fastify|server|instance)$/], [object.property.name='server'])",
          message:
            "log with request.logger / app.logger (`logger.info(message, { fields })`), not Fastify's pino-shaped .log.",
        },
        {
          // The Logger type refuses pino's order already (pnpm typecheck); this makes pnpm lint say it too, for
          // the usual shapes: `logger.info({ key }, 'text')`, `logger.error(error, \`text\`)`.
          selector:
            'CallExpression[callee.property.name=/^(fatal|error|warn|info|debug|trace)$/][arguments.0.type=/^(ObjectExpression|Identifier|MemberExpression)$/][arguments.1.type=/^(Literal|TemplateLiteral)$/]',
          message:
            "the message comes first: `logger.info('message', { fields })`, an error as `{ err: error }`.",
        },
      ],
      'no-restricted-imports': restrictImports([]),
    },
  },
  // Boundaries. A later block replaces an earlier block's no-restricted-imports options for the files both match,
  // so each block lists everything that applies to its files.
  ...services.flatMap((service) => {
    const others = services.filter((other) => other !== service);
    const inSource = [...others.flatMap((other) => serviceImports(other)), benchImports];
    const inTests = [
      ...others.flatMap((other) => serviceImports(other, { testingExport: true })),
      benchImports,
    ];
    return [
      {
        files: [`services/${service.folder}/**/*.{ts,js}`],
        rules: { 'no-restricted-imports': restrictImports(inSource, { inService: true }) },
      },
      {
        files: [`services/${service.folder}/test/**/*.ts`],
        rules: { 'no-restricted-imports': restrictImports(inTests, { inService: true }) },
      },
      {
        // Domain folders: everything under src/ in a folder of its own, except the HTTP side of the service.
        files: [`services/${service.folder}/src/*/**/*.ts`],
        ignores: [`services/${service.folder}/src/{routes,http,proxy}/**`],
        rules: {
          'no-restricted-imports': restrictImports([...inSource, fastifyImports], { inService: true }),
        },
      },
    ];
  }),
  {
    files: ['packages/**/*.{ts,js}'],
    rules: {
      'no-restricted-imports': restrictImports([...anyServiceImports, ...lessonImports, benchImports]),
    },
  },
  {
    files: ['lessons/**/*.{ts,js}'],
    rules: { 'no-restricted-imports': restrictImports([...anyServiceImports, benchImports]) },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
