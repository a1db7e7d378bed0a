// Guards every route under /internal/, and any other route that declares `config: { internal: true }` (an
// operator's verb on a public path, such as the cache proxy's PURGE /blobs/:id). With a token configured, a request must carry
// `Authorization: Bearer <token>`, else 401 with `WWW-Authenticate: Bearer`; the comparison is of SHA-256
// digests in constant time, so neither the token's content nor its length leaks through timing. Without a
// token, only loopback clients (127.0.0.0/8, ::1, ::ffff:127.x.x.x) are served and others get 403.
// The check uses the matched route template, not the raw URL, so `/%69nternal/…` cannot slip past it.
import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIPv6 } from 'node:net';
import { HttpProblem } from './problem.js';
import { perRoute, routeFactsOf, type RequestHooks, type RouteFacts } from './request-hooks.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** guard this route like the ones under /internal/ */
    internal?: boolean;
  }
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4'); // also matches IPv4-mapped IPv6 addresses (::ffff:127.0.0.1)
loopback.addAddress('::1', 'ipv6');

export function isLoopback(ip: string): boolean {
  return loopback.check(ip, isIPv6(ip) ? 'ipv6' : 'ipv4');
}

/** Whether the guard covers a route: its template is under /internal/, or it declares `config.internal`. */
export function isInternalRoute(template: string, declaredInternal: boolean): boolean {
  return template === '/internal' || template.startsWith('/internal/') || declaredInternal;
}

const GUARDED = Symbol('guarded by the internal guard');

const isGuarded = (facts: RouteFacts): boolean =>
  isInternalRoute(facts.url ?? '', facts.config.internal === true);

export function guardInternalRoutes(hooks: RequestHooks, token: string | undefined): void {
  const expected = token ? sha256(token) : undefined;

  hooks.onRequest((request, reply) => {
    if (!perRoute(GUARDED, routeFactsOf(request), isGuarded)) return undefined;

    if (expected) {
      const presented = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1];
      if (presented !== undefined && timingSafeEqual(sha256(presented), expected)) return undefined;
      reply.header('www-authenticate', 'Bearer');
      return new HttpProblem(
        401,
        'Internal endpoints need the header Authorization: Bearer <INTERNAL_TOKEN>.',
      );
    }
    if (!isLoopback(request.ip)) {
      return new HttpProblem(
        403,
        'Internal endpoints only serve loopback clients while INTERNAL_TOKEN is not set.',
      );
    }
    return undefined;
  });
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
