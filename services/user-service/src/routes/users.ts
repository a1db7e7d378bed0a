// The endpoints of docs/user-service.md. The handlers translate between HTTP and the store: validation is in
// the schemas (plus the full-name rule, which needs trimming first), SQL is in users/user-store.ts. Each outcome
// is one log event (user.created, user.reactivated, user.updated, user.soft_deleted, user.delete_noop) carrying
// the request id; emails in events are masked on purpose.
import { maskEmail } from '@backend-rebase/logger';
import { describeUnavailable, isDatabaseUnavailable } from '@backend-rebase/db';
import {
  answerUnavailableWhen,
  HttpProblem,
  ProblemSchema,
  Type,
  type FastifyPluginAsyncTypebox,
} from '@backend-rebase/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UserMetrics } from '../metrics.js';
import { decodeCursor, encodeCursor } from '../users/cursor.js';
import { checkFullName } from '../users/full-name.js';
import type { User, UserStore } from '../users/user-store.js';
import { EmailParams, NewUser, PageQuery, User as UserBody, UserPage, UserUpdate } from './schemas.js';

export interface UserRoutesOptions {
  store: UserStore;
  metrics: UserMetrics;
}

const TAGS = ['users'];
const unavailable = (error: unknown) =>
  `${describeUnavailable(error, 'The user database')}; retry in a few seconds (every user request is safe to retry).`;

// Error bodies, for the OpenAPI description.
const problems = { 400: ProblemSchema, 503: ProblemSchema };
const bodyProblems = { ...problems, 415: ProblemSchema };

export const userRoutes: FastifyPluginAsyncTypebox<UserRoutesOptions> = async (app, { store, metrics }) => {
  // Bodies are JSON. Fastify also parses text/plain by default, which would turn a text body into a 400 about
  // the body's type; without that parser every non-JSON body is a 415.
  app.removeContentTypeParser('text/plain');

  answerUnavailableWhen(app, isDatabaseUnavailable, unavailable);

  async function upsert(request: FastifyRequest, reply: FastifyReply, email: string, rawFullName: string) {
    const { user, outcome } = await store.upsert(email, fullNameOrProblem(rawFullName));
    metrics.countUpsert(outcome);
    logEvent(request, `user.${outcome}`, user.id, user.email);
    if (outcome === 'created') reply.code(201).header('location', locationOf(user.email));
    return toBody(user);
  }

  app.post(
    '/users',
    {
      schema: {
        tags: TAGS,
        summary: 'Create or update the user with this email (reactivates a soft-deleted one)',
        body: NewUser,
        response: { 200: UserBody, 201: UserBody, ...bodyProblems },
      },
    },
    (request, reply) => upsert(request, reply, request.body.email, request.body.full_name),
  );

  app.put(
    '/users/:email',
    {
      schema: {
        tags: TAGS,
        summary: 'Create or update the user with the email of the path',
        params: EmailParams,
        body: UserUpdate,
        response: { 200: UserBody, 201: UserBody, ...bodyProblems },
      },
    },
    (request, reply) => {
      const email = request.params.email;
      const { email: bodyEmail, full_name: fullName } = request.body;
      if (bodyEmail !== undefined && bodyEmail.toLowerCase() !== email.toLowerCase()) {
        throw new HttpProblem(
          400,
          `body/email (${bodyEmail}) differs from the email in the path (${email}); leave it out or make them equal`,
        );
      }
      return upsert(request, reply, email, fullName);
    },
  );

  app.get(
    '/users/:email',
    {
      schema: {
        tags: TAGS,
        summary: 'The active user with this email',
        params: EmailParams,
        response: { 200: UserBody, 404: ProblemSchema, ...problems },
      },
    },
    async (request) => {
      const email = request.params.email;
      const user = await store.findActive(email);
      if (!user) throw new HttpProblem(404, `No user with email ${email}`);
      return toBody(user);
    },
  );

  app.get(
    '/users',
    {
      schema: {
        tags: TAGS,
        summary: 'Active users, oldest first, a page at a time',
        querystring: PageQuery,
        response: { 200: UserPage, ...problems },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const after = cursor === undefined ? null : decodeCursor(cursor);
      if (after === null && cursor !== undefined) {
        throw new HttpProblem(
          400,
          'query/cursor is not a cursor of this service: pass the `next` of the previous page as it was given',
        );
      }
      const page = await store.listActive(limit, after);
      return {
        data: page.users.map(toBody),
        next: page.nextKey ? encodeCursor(page.nextKey) : null,
      };
    },
  );

  app.delete(
    '/users/:email',
    {
      schema: {
        tags: TAGS,
        summary: 'Soft-delete the user with this email; 204 whether or not there was one',
        params: EmailParams,
        response: { 204: Type.Null({ description: 'deleted, or nothing to delete' }), ...problems },
      },
    },
    async (request, reply) => {
      const email = request.params.email;
      const { outcome, id } = await store.softDelete(email);
      metrics.countDelete(outcome);
      logEvent(request, outcome === 'soft_deleted' ? 'user.soft_deleted' : 'user.delete_noop', id, email);
      return reply.code(204).send(null);
    },
  );
};

function fullNameOrProblem(raw: string): string {
  const check = checkFullName(raw);
  if (check.ok) return check.value;
  throw new HttpProblem(400, `body/full_name ${check.problem}`, {
    errors: [{ field: 'body/full_name', message: check.problem }],
  });
}

function logEvent(request: FastifyRequest, event: string, userId: string | null, email: string): void {
  request.logger.info(event, { event, userId, email: maskEmail(email) });
}

function locationOf(email: string): string {
  return `/users/${encodeURIComponent(email)}`;
}

function toBody(user: User): UserBody {
  return {
    id: user.id,
    email: user.email,
    full_name: user.fullName,
    joined_at: user.joinedAt.toISOString(),
  };
}
