// /blobs/:id — the public API of docs/blob-service.md. Everything a write can be refused for is checked
// from the request line and headers (id, Content-Length, stored headers, size, then in the store the version,
// preconditions, quota and folder) before the body is read; only then is a client that sent
// `Expect: 100-continue` told to send it, so a refused upload is never transferred (one sent anyway is read and
// discarded after the answer: the kit's lingering close). The body is then streamed to the store, never held
// whole in memory. Reads stream the record from one open file, so a concurrent
// replacement never mixes two versions. A deleted blob's 404 carries the delete's version, so a caller
// comparing replicas can tell a newer delete from a copy that is missing.
import {
  BLOB_VERSION_HEADER as VERSION_HEADER,
  blobAnswers,
  idSchemaOptions,
  invalidIdReason,
  refuseBadBlobPaths,
} from '@backend-rebase/blob-contract';
import type { Readable } from 'node:stream';
import {
  acceptRawBodies,
  HttpProblem,
  ProblemSchema,
  sendContinue,
  Type,
  type FastifyPluginAsyncTypebox,
} from '@backend-rebase/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { etagOf, isNotModified, rangeApplies, writePrecondition } from '../http/preconditions.js';
import { parseRange } from '../http/range.js';
import { storedHeadersOf, type StoredHeaderLimits } from '../http/stored-headers.js';
import { contentLengthOf, expectedMd5Of, versionOf } from '../http/write-headers.js';
import type { BlobMetrics } from '../metrics.js';
import { storedHeaderBytes, type BlobStore } from '../storage/blob-store.js';
import { READ_CHUNK_BYTES } from '../storage/open-records.js';
import type { BlobMetadata } from '../storage/record.js';
import { refusalsAsProblems } from '../http/store-refusals.js';

export interface BlobRoutesOptions extends StoredHeaderLimits {
  store: BlobStore;
  metrics: BlobMetrics;
  maxLength: number;
  maxIdLength: number;
}

const ANSWERS = blobAnswers();
const CONFLICT = {
  description:
    'Conflict: the stored version is newer, or the same version is stored as the other kind (data or a delete); nothing changed',
  headers: { [VERSION_HEADER]: Type.String({ description: 'the version stored now (an integer)' }) },
  content: { 'application/problem+json': { schema: ProblemSchema } },
};
const NOT_FOUND = {
  description:
    'Not Found: no such blob. When the id was deleted, X-Blob-Version carries the version of the delete',
  headers: {
    [VERSION_HEADER]: Type.String({ description: "the delete's version; absent when the id is unknown" }),
  },
  content: { 'application/problem+json': { schema: ProblemSchema } },
};

/** A version's answer headers, formatted once per record rather than once per read. */
const answerHeaders = new WeakMap<BlobMetadata, { etag: string; lastModified: string; version: string }>();

function answerHeadersOf(metadata: BlobMetadata): { etag: string; lastModified: string; version: string } {
  let headers = answerHeaders.get(metadata);
  if (headers === undefined) {
    headers = {
      etag: etagOf(metadata.md5),
      lastModified: new Date(metadata.modified).toUTCString(),
      version: String(metadata.version),
    };
    answerHeaders.set(metadata, headers);
  }
  return headers;
}

export const blobRoutes: FastifyPluginAsyncTypebox<BlobRoutesOptions> = async (app, options) => {
  const { store, metrics } = options;
  const Params = Type.Object({ id: Type.String(idSchemaOptions(options.maxIdLength)) });

  // Bodies of any type are blobs: hand the stream to the handler unread, so the limits are checked first.
  acceptRawBodies(app);

  // A clear 400 naming what is wrong with the id, before the schema's generic message could be given.
  app.addHook('preValidation', (request, _reply, next) => {
    const { id } = request.params as { id?: string };
    const reason = id === undefined ? undefined : invalidIdReason(id, options.maxIdLength);
    next(reason === undefined ? undefined : new HttpProblem(400, reason));
  });

  // A write refused before its body was read (every refusal above, and any error half-way, a full disk
  // included) closes its connection with the kit's lingering close: `Connection: close`, the answer written
  // whole, then the rest of the upload read and discarded within the HTTP_LINGER_* bounds, so a client still
  // sending gets the answer instead of a reset.

  const write = async (
    request: FastifyRequest<{ Params: { id: string } }>,
    reply: FastifyReply,
  ): Promise<void> => {
    const { id } = request.params;
    const contentLength = contentLengthOf(request.headers);
    const headers = storedHeadersOf(request.headers, options);
    const headerBytes = storedHeaderBytes(headers);
    if (contentLength + headerBytes > options.maxLength) {
      throw new HttpProblem(
        413,
        `the blob is ${contentLength + headerBytes} bytes (body ${contentLength} + stored headers ${headerBytes}); MAX_LENGTH is ${options.maxLength}`,
      );
    }
    const body = (request.body as Readable | undefined) ?? request.raw;
    const outcome = await refusalsAsProblems(reply, () =>
      store.write({
        id,
        headers,
        chargedBytes: contentLength + headerBytes,
        contentLength,
        body,
        version: versionOf(request.headers),
        precondition: writePrecondition(request.headers),
        expectedMd5: expectedMd5Of(request.headers),
        beforeBody: () => sendContinue(request),
      }),
    );
    const { entry } = outcome;
    if (outcome.status !== 'unchanged') metrics.written(entry.size);
    const etag = etagOf(entry.md5);
    reply.header('etag', etag);
    reply.header(VERSION_HEADER, String(entry.version));
    await reply.code(outcome.status === 'created' ? 201 : 200).send({ id, size: entry.size, etag });
  };

  const writeSchema = (summary: string) => ({
    tags: ['blobs'],
    summary,
    params: Params,
    response: { ...ANSWERS.write, 409: CONFLICT },
  });
  // `100 Continue` is sent by the store's beforeBody, once every check from the headers has passed.
  const writeConfig = { deferContinue: true };
  app.put('/blobs/:id', { schema: writeSchema('Store a blob (upsert)'), config: writeConfig }, write);
  app.post(
    '/blobs/:id',
    { schema: writeSchema('Store a blob (upsert), the same as PUT'), config: writeConfig },
    write,
  );

  const read = (withBody: boolean) =>
    async function (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): Promise<void> {
      const { id } = request.params;
      const found = await store.read(id);
      if (found.status === 'tombstone') {
        reply.header(VERSION_HEADER, String(found.version));
        throw new HttpProblem(
          404,
          `the blob with id ${JSON.stringify(id)} was deleted (X-Blob-Version ${found.version})`,
        );
      }
      if (found.status === 'absent') {
        throw new HttpProblem(404, `there is no blob with id ${JSON.stringify(id)}`);
      }
      const { blob } = found;
      const { metadata } = blob;
      let handedOver = false;
      try {
        const { etag, lastModified, version } = answerHeadersOf(metadata);
        reply.headers({
          etag,
          'last-modified': lastModified,
          [VERSION_HEADER]: version,
          'accept-ranges': 'bytes',
        });
        if (isNotModified(request.headers, etag, metadata.modified)) {
          await reply.code(304).send();
          return;
        }

        const range = rangeApplies(request.headers, etag, metadata.modified)
          ? parseRange(request.headers.range, metadata.size)
          : undefined;
        if (range === 'unsatisfiable') {
          reply.header('content-range', `bytes */${metadata.size}`);
          throw new HttpProblem(
            416,
            `the range ${request.headers.range} starts past the blob's ${metadata.size} bytes`,
          );
        }
        reply.headers(metadata.headers);
        const { start, end } = range ?? { start: 0, end: metadata.size - 1 };
        const length = end - start + 1;
        if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${metadata.size}`);
        reply.header('content-length', String(length));
        if (!withBody || length === 0) {
          await reply.send();
          return;
        }

        metrics.read(length);
        // A small body is one read and goes out with the head in one write; a large one streams in
        // READ_CHUNK_BYTES reads, never held whole.
        if (length <= READ_CHUNK_BYTES) {
          await reply.send(await blob.readBody(start, end));
          return;
        }
        handedOver = true;
        await reply.send(blob.streamBody(start, end));
      } finally {
        if (!handedOver) blob.release();
      }
    };

  const readSchema = (summary: string) => ({
    tags: ['blobs'],
    summary,
    params: Params,
    response: { ...ANSWERS.read, 404: NOT_FOUND },
  });
  app.get('/blobs/:id', { schema: readSchema('Read a blob'), exposeHeadRoute: false }, read(true));
  app.head(
    '/blobs/:id',
    {
      schema: readSchema("Read a blob's headers: what GET answers, without the body"),
      config: { swagger: { exposeHeadRoute: true } },
    },
    read(false),
  );

  app.delete(
    '/blobs/:id',
    {
      schema: {
        tags: ['blobs'],
        summary: 'Delete a blob',
        params: Params,
        response: { ...ANSWERS.delete, 409: CONFLICT },
      },
    },
    async (request, reply) => {
      const outcome = await refusalsAsProblems(reply, () =>
        store.delete({
          id: request.params.id,
          version: versionOf(request.headers),
          precondition: writePrecondition(request.headers),
        }),
      );
      if (outcome.status !== 'absent') reply.header(VERSION_HEADER, String(outcome.version));
      return reply.code(204).send(null);
    },
  );

  refuseBadBlobPaths(app, options.maxIdLength);
};
