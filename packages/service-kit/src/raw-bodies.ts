// For routes that stream bodies rather than parse them (a blob store, a proxy): in the plugin scope it is
// called in, every request body reaches the handler unread, as the request stream in `request.body`, whatever
// its content type. So the handler can refuse a request from its headers (size, quota, a missing id) before a
// byte of the body is read, and pipe the rest where it goes without holding it in memory. Fastify's body limit
// does not apply: the handler owns the stream and its limits.
import type { FastifyInstance } from 'fastify';

export function acceptRawBodies(
  scope: Pick<FastifyInstance, 'removeAllContentTypeParsers' | 'addContentTypeParser'>,
): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_request, body, done) => {
    done(null, body);
  });
}
