// The kit's per-request work, run as one Fastify hook per phase (onRequest, onSend, onResponse) instead of one
// hook per concern: each hook Fastify runs is a step of its hook runner, and the kit has a dozen. The parts run
// in the order they were added, as the separate hooks did, and an onRequest part that answers with an error
// stops the parts after it, as `done(error)` did. What each part needs to know about the matched route (its
// template, its config, the metrics it counts in) is worked out once per route, on its first request
// (routeFactsOf), not on every request: Fastify's `request.routeOptions` builds a new object each time it is read.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Service } from './service.js';

/** An onRequest part: returns an error to answer the request with it (the parts after it do not run). */
export type RequestPart = (request: FastifyRequest, reply: FastifyReply) => Error | undefined;
/** An onSend or onResponse part. */
export type ReplyPart = (request: FastifyRequest, reply: FastifyReply) => void;

/** What the kit knows about a route, worked out on its first request. Extended by the modules that use it. */
export interface RouteFacts {
  /** the route template, `/items/:id`; undefined for a request that matched no route */
  readonly url: string | undefined;
  readonly config: FastifyRequest['routeOptions']['config'];
  /** per-module memo: a module keeps here what it derives from the route once */
  readonly memo: Map<symbol, unknown>;
}

const factsByConfig = new WeakMap<object, RouteFacts>();

declare module 'fastify' {
  interface FastifyRequest {
    /** set by the kit's onRequest hook: the matched route's facts (routeFactsOf) */
    kitRoute: RouteFacts | null;
  }
}

/** The facts of the route a request matched (every request of one route shares its config object). */
export function routeFactsOf(request: FastifyRequest): RouteFacts {
  if (request.kitRoute) return request.kitRoute;
  const { url, config } = request.routeOptions;
  let facts = factsByConfig.get(config);
  if (facts === undefined) {
    facts = { url, config, memo: new Map() };
    factsByConfig.set(config, facts);
  }
  request.kitRoute = facts;
  return facts;
}

/** A value derived from the route once (on its first request) and kept with its facts. */
export function perRoute<T>(key: symbol, facts: RouteFacts, derive: (facts: RouteFacts) => T): T {
  let value = facts.memo.get(key) as T | undefined;
  if (value === undefined && !facts.memo.has(key)) {
    value = derive(facts);
    facts.memo.set(key, value);
  }
  return value as T;
}

export class RequestHooks {
  private readonly onRequestParts: RequestPart[] = [];
  private readonly onSendParts: ReplyPart[] = [];
  private readonly onResponseParts: ReplyPart[] = [];

  constructor(app: Service) {
    app.decorateRequest('kitRoute', null);
    const onRequest = this.onRequestParts;
    const onSend = this.onSendParts;
    const onResponse = this.onResponseParts;
    app.addHook('onRequest', (request, reply, done) => {
      routeFactsOf(request);
      for (const part of onRequest) {
        const error = part(request, reply);
        if (error !== undefined) return done(error);
      }
      done();
    });
    app.addHook('onSend', (request, reply, payload, done) => {
      for (const part of onSend) part(request, reply);
      done(null, payload);
    });
    app.addHook('onResponse', (request, reply, done) => {
      for (const part of onResponse) part(request, reply);
      done();
    });
  }

  onRequest(part: RequestPart): void {
    this.onRequestParts.push(part);
  }

  onSend(part: ReplyPart): void {
    this.onSendParts.push(part);
  }

  onResponse(part: ReplyPart): void {
    this.onResponseParts.push(part);
  }
}
