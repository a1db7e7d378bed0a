// The OpenAPI description, generated from the same schemas that validate requests: JSON at /docs/json, the
// Swagger UI at /docs. @fastify/swagger collects routes as they are added, so it is registered (and awaited)
// before any route.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Service } from './service.js';

export async function addDocs(app: Service, info: { title: string; version: string }): Promise<void> {
  await app.register(swagger, { openapi: { info } });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
