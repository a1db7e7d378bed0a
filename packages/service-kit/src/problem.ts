// RFC 9457 problem details: the body of every error response, `application/problem+json` with
// `{type, title, status, detail}` and optional extension members. Routes throw an HttpProblem; the kit's error
// handler (errors.ts) turns it, and every other error, into one of these.
import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

/** For route schemas (`response: { 404: ProblemSchema }`), so the OpenAPI description shows error bodies too. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details' },
);

/** Extra members of a problem; `type` and `title` replace the defaults, `status` and `detail` have their own place. */
export interface ProblemExtensions {
  type?: string;
  title?: string;
  status?: never;
  detail?: never;
  [member: string]: unknown;
}

/**
 * Throw from a route or hook to answer with a problem: `throw new HttpProblem(404, 'No blob with id "abc"')`.
 * `detail` is shown to the client, so write it for them. Extension members may add fields, or replace the
 * default `type` (about:blank) and `title` (the status text).
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly extensions: ProblemExtensions = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

export function problem(status: number, detail: string, extensions: ProblemExtensions = {}): Problem {
  const { type = 'about:blank', title = STATUS_CODES[status] ?? 'Error', ...members } = extensions;
  return { type, title, status, detail, ...members };
}

export function sendProblem(
  reply: FastifyReply,
  status: number,
  detail: string,
  extensions?: ProblemExtensions,
): FastifyReply {
  return reply
    .code(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(problem(status, detail, extensions));
}
