// The type of the app createService returns: Fastify with the TypeBox type provider, so route handlers get
// typed `request.body`, `params` and `query` from their schemas.
import type { Logger } from '@backend-rebase/logger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';

export type Service = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

declare module 'fastify' {
  interface FastifyInstance {
    /** the logger the service was created with (winston's call shape), for work outside a request */
    logger: Logger;
  }
  interface FastifyRequest {
    /** `app.logger` with the request's `requestId` on every line: what a route logs with (request-log.ts) */
    logger: Logger;
  }
}
