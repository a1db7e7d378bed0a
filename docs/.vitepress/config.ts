// VitePress site for the project: `pnpm docs:dev` to write, `pnpm docs:build` to check (CI builds it).
// Dead-link checking stays on (VitePress's default): a link to a page that does not exist fails the build.
// The sidebar lists only pages that exist; add a part's page here when the part lands.
// ```mermaid blocks become diagrams (vitepress-plugin-mermaid): the page ships the diagram's text and mermaid
// draws it in the browser, so the built HTML holds the source of every diagram, not an image of it. The plugin
// asks Vite to pre-bundle a few of mermaid's CommonJS dependencies by their bare names, which pnpm does not hoist
// to the root, so under `pnpm docs:dev` the browser got them raw ("dayjs … does not provide an export named
// 'default'"). Pre-bundling mermaid itself, a root dependency, converts every one of them. `pnpm docs:build`
// bundles everything anyway.
import { defineConfig } from 'vitepress';
import { withMermaid } from 'vitepress-plugin-mermaid';

export default withMermaid(
  defineConfig({
    title: 'Backend Rebase',
    description:
      'A reference backend in TypeScript: a distributed blob store with a consistent-hash load balancer and an LRU ' +
      'cache proxy, a PostgreSQL user service, an analytics platform, and lessons on the data structures underneath.',
    lang: 'en-US',
    cleanUrls: true,
    lastUpdated: false,
    ignoreDeadLinks: false,
    vite: {
      optimizeDeps: {
        include: ['mermaid'],
      },
    },
    themeConfig: {
      nav: [
        { text: 'Quick start', link: '/#quick-start' },
        { text: 'Architecture', link: '/#architecture' },
        { text: 'Operations', link: '/operations' },
        { text: 'Lessons', link: '/lessons' },
        { text: 'Benchmarks', link: '/benchmarks' },
      ],
      sidebar: [
        {
          text: 'Introduction',
          items: [
            { text: 'Overview', link: '/' },
            { text: 'Quick start', link: '/#quick-start' },
            { text: 'Architecture', link: '/#architecture' },
            { text: 'Technology stack', link: '/#technology-stack' },
          ],
        },
        {
          text: 'Blob store',
          items: [
            { text: 'Blob service', link: '/blob-service' },
            { text: 'Load balancer and ring', link: '/load-balancer' },
            { text: 'Cache proxy', link: '/cache-proxy' },
          ],
        },
        {
          text: 'Users',
          items: [{ text: 'User service', link: '/user-service' }],
        },
        {
          text: 'Analytics',
          items: [{ text: 'Analytics project', link: '/analytics-project' }],
        },
        {
          text: 'Lessons',
          items: [
            { text: 'Overview', link: '/lessons' },
            { text: 'HashMap', link: '/lessons/hash-map' },
            { text: 'External sort', link: '/lessons/external-sort' },
            { text: 'Counting primes', link: '/lessons/count-primes' },
          ],
        },
        {
          text: 'Running it',
          items: [
            { text: 'Operations', link: '/operations' },
            { text: 'Containers', link: '/deployment' },
            { text: 'Kubernetes', link: '/kubernetes' },
            { text: 'Benchmarks', link: '/benchmarks' },
            { text: 'API reference', link: '/api' },
            { text: 'Contributing', link: '/contributing' },
          ],
        },
      ],
      outline: { level: [2, 3] },
      search: { provider: 'local' },
    },
  }),
);
