// GET /internal/blobs — every record this node holds, tombstones included, a page at a time in id order, for
// operators and scripts (nothing in the stack calls it). `next` is the cursor of the following page (the last
// id of this one), null on the last page.
import {
  HttpProblem,
  ProblemSchema,
  Type,
  type FastifyPluginCallbackTypebox,
} from '@backend-rebase/service-kit';
import { etagOf } from '../http/preconditions.js';
import type { BlobStore } from '../storage/blob-store.js';
import { invalidIdReason } from '@backend-rebase/blob-contract';

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
    }),
  ),
  next: Type.Union([Type.String(), Type.Null()]),
});

export const internalBlobRoutes: FastifyPluginCallbackTypebox<InternalBlobRoutesOptions> = (
  app,
  options,
  done,
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
        })),
        next: page.next,
      };
    },
  );
  done();
};
