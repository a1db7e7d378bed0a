// /internal/cache: the cache's statistics (GET) and emptying it (DELETE). The kit guards /internal/*.
import { Type, type FastifyPluginAsyncTypebox } from '@backend-rebase/service-kit';
import type { ResponseCache } from '../cache/response-cache.js';
import type { ReadThrough } from '../proxy/read-through.js';

const Stats = Type.Object({
  items: Type.Integer({ description: 'entries held' }),
  bytes: Type.Integer({
    description: 'bytes held by the entries: body + stored headers + key + ENTRY_OVERHEAD_BYTES (1 KiB) each',
  }),
  fillBytes: Type.Integer({
    description: 'bytes reserved by fills in flight; bytes + fillBytes ≤ maxBytes (CACHE_MAX_BYTES)',
  }),
  maxItems: Type.Integer({ description: 'MAX_ITEMS_IN_CACHE' }),
  maxBytes: Type.Integer({ description: 'CACHE_MAX_BYTES' }),
  hits: Type.Integer(),
  misses: Type.Integer({
    description: 'GET/HEAD lookups that went upstream (a collapsed request is not one)',
  }),
  collapsed: Type.Integer({ description: 'misses answered by another request’s upstream fetch' }),
  evictions: Type.Integer({ description: 'entries pushed out by the limits' }),
  hitRatio: Type.Number({ description: 'hits / (hits + misses + collapsed); 0 before the first lookup' }),
});

export interface InternalCacheRoutesOptions {
  cache: ResponseCache;
  readThrough: ReadThrough;
}

export const internalCacheRoutes: FastifyPluginAsyncTypebox<InternalCacheRoutesOptions> = async (
  app,
  options,
) => {
  const { cache, readThrough } = options;
  app.get(
    '/internal/cache',
    { schema: { tags: ['cache'], summary: 'Cache statistics', response: { 200: Stats } } },
    () => cache.stats(),
  );
  app.delete(
    '/internal/cache',
    {
      schema: {
        tags: ['cache'],
        summary: 'Empties the cache',
        response: { 204: Type.Null({ description: 'emptied' }) },
      },
    },
    async (_request, reply) => {
      readThrough.clear();
      await reply.code(204).send(null);
    },
  );
};
