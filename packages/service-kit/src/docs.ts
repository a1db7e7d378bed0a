// The OpenAPI description, generated from the same schemas that validate requests: JSON at /docs/json, the
// Swagger UI at /docs. @fastify/swagger collects routes as they are added, so it is registered (and awaited)
// before any route.
// The description also says what the kit does for every route, so route files need not repeat it: a response
// declared as a problem (ProblemSchema, or an object schema with its four members and extensions of its own) is
// `application/problem+json`, the type errors.ts sends, and a guarded route (under /internal/, or
// `config: { internal: true }`) lists the guard's 401 and 403.
import { STATUS_CODES } from 'node:http';
import swagger, { type SwaggerTransform } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { isInternalRoute } from './internal-guard.js';
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from './problem.js';
import type { Service } from './service.js';

export async function addDocs(app: Service, info: { title: string; version: string }): Promise<void> {
  await app.register(swagger, { openapi: { info }, transform: describeKitBehaviour });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

const GUARD_PROBLEMS = { 401: ProblemSchema, 403: ProblemSchema };

// Works on a copy: Fastify serializes responses with the route's own schema object.
const describeKitBehaviour: SwaggerTransform = ({ schema, url, route }) => {
  const guarded = isInternalRoute(url, route.config?.internal === true);
  if (schema?.response === undefined && !guarded) return { schema, url };
  const declared = {
    ...(guarded ? GUARD_PROBLEMS : {}),
    ...(schema?.response as Record<string, unknown> | undefined),
  };
  const response = Object.fromEntries(
    Object.entries(declared).map(([status, body]) => [
      status,
      isProblem(body) ? problemResponse(status, body) : body,
    ]),
  );
  return { schema: { ...schema, response }, url };
};

const PROBLEM_MEMBERS = Object.keys(ProblemSchema.properties);

function isProblem(schema: unknown): schema is object {
  const { type, properties } = (schema ?? {}) as { type?: unknown; properties?: object };
  return (
    type === 'object' && properties !== undefined && PROBLEM_MEMBERS.every((member) => member in properties)
  );
}

function problemResponse(status: string, schema: object) {
  return {
    description: `${STATUS_CODES[status] ?? 'Error'}: RFC 9457 problem details`,
    content: { [PROBLEM_CONTENT_TYPE]: { schema } },
  };
}
