// The node's records as the load balancer's rebalancer sees them (guarded by the kit, like every /internal
// route):
//   GET /internal/blobs — every record, tombstones included, a page at a time in id order; the rebalancer
//     merges these listings across nodes to find copies that are missing, misplaced or old. `next` is the
//     cursor of the following page (the last id of this one), null on the last page. A page costs a search and
//     the page itself, whatever the index holds (sorted-ids.ts).
//   DELETE /internal/blobs/:id?version=V — removes exactly that version of a record, data or tombstone, and
//     leaves no tombstone: how a copy is taken off a node that no longer owns it, once its owners hold it, and
//     how tombstones are reclaimed in a cluster. Any other version stored is left alone (409), so a purge can
//     never remove a newer write that landed after the rebalancer looked.
import { BLOB_VERSION_HEADER, idSchemaOptions, invalidIdReason } from '@backend-rebase/blob-contract';
import {
  HttpProblem,
  ProblemSchema,
  Type,
  type FastifyPluginAsyncTypebox,
} from '@backend-rebase/service-kit';
import { etagOf } from '../http/preconditions.js';
import type { BlobStore } from '../storage/blob-store.js';
import { refusalsAsProblems } from '../http/store-refusals.js';

export interface InternalBlobRoutesOptions {
  store: BlobStore;
  maxIdLength: number;
}

const Listing = Type.Object({
  data: Type.Array(
    Type.Object({
      id: Type.String(),
      size: Type.Integer(),
      etag: Type.Union([Type.String(), Type.Null()], { description: 'null for a tombstone' }),
      version: Type.Integer(),
      deleted: Type.Boolean(),
      modified: Type.Integer({
        description: 'when this node stored the record, in milliseconds since the epoch (its own clock)',
      }),
    }),
  ),
  next: Type.Union([Type.String(), Type.Null()]),
});

export const internalBlobRoutes: FastifyPluginAsyncTypebox<InternalBlobRoutesOptions> = async (
  app,
  options,
) => {
  app.get(
    '/internal/blobs',
    {
      schema: {
        tags: ['internal'],
        summary: 'Page through every blob and tombstone on this node',
        querystring: Type.Object({
          cursor: Type.Optional(Type.String({ description: 'the `next` of the previous page' })),
          limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
        }),
        response: { 200: Listing, 400: ProblemSchema },
      },
    },
    (request) => {
      const { cursor, limit } = request.query;
      const reason = cursor === undefined ? undefined : invalidIdReason(cursor, options.maxIdLength);
      if (reason !== undefined) throw new HttpProblem(400, `cursor: ${reason}`);
      const page = options.store.list(cursor, limit);
      return {
        data: page.entries.map(([id, entry]) => ({
          id,
          size: entry.size,
          etag: entry.deleted ? null : etagOf(entry.md5),
          version: entry.version,
          deleted: entry.deleted,
          modified: entry.modified,
        })),
        next: page.next,
      };
    },
  );

  app.delete(
    '/internal/blobs/:id',
    {
      schema: {
        tags: ['internal'],
        summary: 'Purge exactly one version of a record (data or tombstone), leaving no tombstone',
        params: Type.Object({ id: Type.String(idSchemaOptions(options.maxIdLength)) }),
        querystring: Type.Object({
          version: Type.Integer({
            minimum: 0,
            maximum: Number.MAX_SAFE_INTEGER,
            description: 'the version to remove; any other version stored is left alone',
          }),
        }),
        response: {
          204: Type.Null({ description: 'purged: the record is gone, its space and folder slot free' }),
          400: ProblemSchema,
          404: ProblemSchema,
          409: {
            description: 'Conflict: another version is stored, and was left alone',
            headers: { [BLOB_VERSION_HEADER]: Type.String({ description: 'the version stored' }) },
            content: { 'application/problem+json': { schema: ProblemSchema } },
          },
        },
      },
      // The id's rule, with its message, before the schema's generic one.
      preValidation: (request, _reply, next) => {
        const reason = invalidIdReason(request.params.id, options.maxIdLength);
        next(reason === undefined ? undefined : new HttpProblem(400, reason));
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { version } = request.query;
      const outcome = await refusalsAsProblems(reply, () => options.store.purge(id, version));
      if (outcome.status === 'absent') {
        throw new HttpProblem(404, `there is no record with id ${JSON.stringify(id)}`);
      }
      if (outcome.status === 'other') {
        reply.header(BLOB_VERSION_HEADER, String(outcome.version));
        throw new HttpProblem(
          409,
          `the record of ${JSON.stringify(id)} has version ${outcome.version}, not ${version}; nothing was removed`,
          { storedVersion: outcome.version },
        );
      }
      return reply.code(204).send(null);
    },
  );
};
