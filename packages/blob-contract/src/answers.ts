// The answers of /blobs/:id as the OpenAPI documents describe them, written once for the three services that give
// them. The blob server answers itself; the load balancer and the cache proxy relay a node's answer as it is
// (status, headers, body), add headers of their own, and answer 502/503/504 themselves when no node gives one.
// Only reads' bytes and writes' JSON are described here; the routes' handlers decide what is sent.
import { ProblemSchema, Type } from '@backend-rebase/service-kit';
import type { TSchema } from 'typebox';
import { BLOB_VERSION_HEADER } from './version.js';

/** The body of a write's 200 or 201. */
const WriteResult = Type.Object(
  {
    id: Type.String(),
    size: Type.Integer({ description: 'body bytes' }),
    etag: Type.Union([Type.String(), Type.Null()], {
      description: 'the ETag header, quotes included; null when the stored record is a newer tombstone',
    }),
  },
  { additionalProperties: false },
);

const READ_HEADERS = {
  etag: Type.String({ description: 'the quoted hex MD5 of the body' }),
  'last-modified': Type.String({ description: 'when this version was stored (HTTP date)' }),
  [BLOB_VERSION_HEADER]: Type.String({ description: 'the version of the last write (an integer)' }),
  'accept-ranges': Type.String({ description: 'always `bytes`' }),
};

interface BlobAnswersOptions {
  /** Headers a proxy adds to every answer it relays (X-Served-By, X-Cache, …). */
  addedHeaders?: Record<string, TSchema>;
  /** A proxy also answers 502, 503 and 504 itself, when no node gives an answer in time. */
  proxy?: boolean;
}

export function blobAnswers({ addedHeaders = {}, proxy = false }: BlobAnswersOptions = {}) {
  const bytes = (description: string) => ({
    description,
    headers: { ...READ_HEADERS, ...addedHeaders },
    content: { 'application/octet-stream': { schema: Type.String({ format: 'binary' }) } },
  });
  const written = (description: string) => ({
    description,
    ...(Object.keys(addedHeaders).length > 0 ? { headers: addedHeaders } : {}),
    content: { 'application/json': { schema: WriteResult } },
  });
  const proxyProblems = proxy ? { 502: ProblemSchema, 503: ProblemSchema, 504: ProblemSchema } : {};
  return {
    read: {
      200: bytes('the blob, with its stored Content-Type and x-rebase-* headers'),
      206: bytes('the requested byte range (Content-Range names it)'),
      304: Type.Null({ description: 'not modified (If-None-Match or If-Modified-Since); no body' }),
      400: ProblemSchema,
      404: ProblemSchema,
      416: ProblemSchema,
      ...proxyProblems,
    },
    write: {
      200: written('replaced'),
      201: written('created'),
      400: ProblemSchema,
      411: ProblemSchema,
      412: ProblemSchema,
      413: ProblemSchema,
      431: ProblemSchema,
      507: ProblemSchema,
      ...proxyProblems,
    },
    delete: {
      204: Type.Null({ description: 'deleted, or nothing to delete' }),
      400: ProblemSchema,
      412: ProblemSchema,
      507: ProblemSchema,
      ...proxyProblems,
    },
  };
}
