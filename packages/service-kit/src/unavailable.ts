// A dependency that cannot be reached right now (the database during a restart) is a 503 the client can retry,
// not a 500. Errors that `isUnavailable` does not recognise go on, unchanged, to the kit's error handler, which
// also answers the 503 problem and logs it with its cause. A request whose client went away mid-body is never
// counted as the dependency's failure, whatever error its broken body raised.
import type { FastifyError, FastifyInstance } from 'fastify';
import { HttpProblem } from './problem.js';

export function answerUnavailableWhen(
  scope: FastifyInstance,
  isUnavailable: (error: unknown) => boolean,
  /** the 503's detail, or how to say it from the error (which timeout ran out, say) */
  detail: string | ((error: unknown) => string),
): void {
  scope.setErrorHandler((error: FastifyError, request) => {
    // A body that broke off because its client went away (or was cut off by a slow-client bound) fails with a
    // socket error, ECONNRESET "aborted", that says nothing about the dependency: it is not a 503.
    const clientGone = request.raw.destroyed && !request.raw.complete;
    if (clientGone || !isUnavailable(error)) throw error;
    const text = typeof detail === 'string' ? detail : detail(error);
    throw Object.assign(new HttpProblem(503, text), { cause: error });
  });
}
