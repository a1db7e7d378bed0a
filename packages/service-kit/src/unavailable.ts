// A dependency that cannot be reached right now (the database during a restart) is a 503 the client can retry,
// not a 500. Errors that `isUnavailable` does not recognise go on, unchanged, to the kit's error handler, which
// also answers the 503 problem and logs it with its cause.
import type { FastifyError, FastifyInstance } from 'fastify';
import { HttpProblem } from './problem.js';

export function answerUnavailableWhen(
  scope: FastifyInstance,
  isUnavailable: (error: unknown) => boolean,
  detail: string,
): void {
  scope.setErrorHandler((error: FastifyError) => {
    if (!isUnavailable(error)) throw error;
    throw Object.assign(new HttpProblem(503, detail), { cause: error });
  });
}
