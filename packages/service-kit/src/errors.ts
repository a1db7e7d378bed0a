// Every error a client can see leaves as a problem+json body (problem.ts):
//   - an HttpProblem thrown by a route or hook: its status, detail and extension members;
//   - a schema validation failure: 400, `detail` naming each bad field and the rule it broke, `errors` listing them;
//   - an error carrying a 4xx statusCode, as Fastify's own do (malformed JSON, 413, 415, …): that status and a
//     readable detail;
//   - an unknown path: 404, or 405 with an Allow header when the path exists for other methods;
//   - a request that is not valid HTTP, or arrives too slowly, before Fastify sees it: 400, 408 or 431 written
//     straight to the socket (clientErrors);
//   - anything else: 500 (or the 5xx it carries) with a generic detail; its message and stack go to the log only.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import {
  HttpProblem,
  PROBLEM_CONTENT_TYPE,
  problem,
  sendProblem,
  type ProblemExtensions,
} from './problem.js';
import { endWithLingeringClose, lingeringClientError, type LingerBounds } from './lingering-close.js';
import { REQUEST_ID_HEADER } from './request-id.js';
import type { Service } from './service.js';

interface Answer {
  status: number;
  detail: string;
  extensions?: ProblemExtensions;
}

interface FieldError {
  field: string;
  message: string;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export function answerErrorsWithProblems(app: Service): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, detail, extensions } = answerTo(error, request);
    if (status >= 500) request.logger.error('request failed', { status, err: error });
    else request.logger.info('request rejected', { status, detail });
    return sendProblem(reply, status, detail, extensions);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
    if (allowed.length === 0) return sendProblem(reply, 404, `No route for ${request.method} ${path}`);
    reply.header('allow', allowed.join(', '));
    return sendProblem(
      reply,
      405,
      `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`,
    );
  });
}

/**
 * Fastify's `frameworkErrors` option. Errors found before routing (a malformed URL, an over-long parameter) skip
 * the hooks, so the request id is echoed here.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header(REQUEST_ID_HEADER, request.id);
  void sendProblem(reply, error.statusCode ?? 400, error.message);
}

/**
 * Fastify's `clientErrorHandler`: Node's HTTP parser refused the bytes on a connection (malformed HTTP, a body
 * cut short by a half-close, headers too large, a request too slow), so there is no request to answer through
 * the usual path. The answer is written to the socket, which is then closed.
 */
export function clientErrors(
  error: NodeJS.ErrnoException,
  socket: Socket,
  linger: Partial<LingerBounds> = {},
): void {
  if (lingeringClientError(socket)) return; // the rest of a refused request, read and dropped
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const [status, detail] = describeClientError(error.code);
  const body = JSON.stringify(problem(status, detail));
  const answer =
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
  // Headers too large: a body may still be on its way, and a close with it unread would reset the answer.
  if (error.code === 'HPE_HEADER_OVERFLOW') endWithLingeringClose(socket, answer, linger);
  else socket.end(answer);
}

function describeClientError(code: string | undefined): [number, string] {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'the request did not arrive in time'];
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'the request headers are too large'];
    case 'HPE_INVALID_EOF_STATE':
      return [400, 'the connection ended before the request was complete'];
    default:
      return [400, `the request is not valid HTTP (${code ?? 'unknown error'})`];
  }
}

function answerTo(error: FastifyError, request: FastifyRequest): Answer {
  if (error instanceof HttpProblem) {
    return { status: error.status, detail: error.detail, extensions: error.extensions };
  }
  if (error.validation) {
    const errors = describeValidation(error.validationContext ?? 'request', error.validation);
    return {
      status: 400,
      detail: errors.map((e) => `${e.field} ${e.message}`).join('; '),
      extensions: { errors },
    };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, detail: clientErrorDetail(error, request) };
  return {
    status: status >= 500 && status < 600 ? status : 500,
    detail: `The server failed to handle this request; it is logged with request id ${request.id}.`,
  };
}

// One entry per bad field, e.g. `body/email must match format "email"`, `body/name is required`,
// `body/size must be one of "small", "large"`. A union (anyOf/oneOf) reports every branch that failed before
// failing itself; only its own entry is kept, listing the allowed constants when the branches are constants.
function describeValidation(context: string, failures: FastifySchemaValidationError[]): FieldError[] {
  const isUnion = (failure: FastifySchemaValidationError) =>
    failure.keyword === 'anyOf' || failure.keyword === 'oneOf';
  const branchesOf = (union: FastifySchemaValidationError) =>
    failures.filter((failure) => failure.schemaPath.startsWith(`${union.schemaPath}/`));
  const inBranch = (failure: FastifySchemaValidationError) =>
    failures.some((union) => isUnion(union) && branchesOf(union).includes(failure));

  return failures
    .filter((failure) => !inBranch(failure))
    .map((failure) => {
      const at = `${context}${failure.instancePath}`;
      const { missingProperty, additionalProperty, allowedValues } = failure.params;
      if (failure.keyword === 'required') {
        return { field: `${at}/${String(missingProperty)}`, message: 'is required' };
      }
      if (failure.keyword === 'additionalProperties') {
        return { field: `${at}/${String(additionalProperty)}`, message: 'is not allowed' };
      }
      const allowed = isUnion(failure)
        ? branchesOf(failure).flatMap((branch) =>
            branch.keyword === 'const' ? [branch.params.allowedValue] : [],
          )
        : allowedValues;
      if (Array.isArray(allowed) && allowed.length > 0) {
        return {
          field: at,
          message: `must be one of ${allowed.map((value) => JSON.stringify(value)).join(', ')}`,
        };
      }
      return { field: at, message: failure.message ?? `breaks the ${failure.keyword} rule` };
    });
}

function clientErrorDetail(error: FastifyError, request: FastifyRequest): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')} is not supported here`;
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `The request body is larger than the limit of ${request.routeOptions.bodyLimit} bytes`;
    default:
      return error.message;
  }
}
