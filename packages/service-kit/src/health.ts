// The probes. GET /health is liveness: 200 `{status:'pass'}` as long as the process answers at all.
// GET /ready is readiness: every check runs in parallel, each bounded by a timeout; 200 when all pass, else 503
// naming each failure and its reason. Once shutdown has begun it is 503 without running the checks.
// createService adds the `database` check when it is given the service's pool (database.ts); a check known at
// creation goes in its `readiness` option.
import { Type } from 'typebox';
import type { Service } from './service.js';

export type ReadinessCheck = () => Promise<unknown>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Adds (or replaces) a check that GET /ready runs; it passes when the promise resolves. */
    addReadinessCheck(name: string, check: ReadinessCheck): void;
  }
}

const Status = Type.Union([Type.Literal('pass'), Type.Literal('fail')]);
const CheckResult = Type.Object({ status: Status, detail: Type.Optional(Type.String()) });
type CheckResult = Type.Static<typeof CheckResult>;
const Liveness = Type.Object({ status: Type.Literal('pass') });
const Readiness = Type.Object({ status: Status, checks: Type.Record(Type.String(), CheckResult) });

export interface HealthOptions {
  checks: Record<string, ReadinessCheck>;
  timeoutMs: number;
  isDraining: () => boolean;
}

export function addHealthRoutes(
  app: Service,
  { checks: initial, timeoutMs, isDraining }: HealthOptions,
): void {
  const checks = new Map(Object.entries(initial));
  app.decorate('addReadinessCheck', (name: string, check: ReadinessCheck) => {
    checks.set(name, check);
  });

  app.get(
    '/health',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process is running',
        response: { 200: Liveness },
      },
    },
    () => ({ status: 'pass' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the service can do its job',
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      if (isDraining()) {
        const checks = { shutdown: { status: 'fail' as const, detail: 'the service is shutting down' } };
        return reply.code(503).send({ status: 'fail', checks });
      }
      const results = await Promise.all(
        [...checks].map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const),
      );
      const failed = results.some(([, result]) => result.status === 'fail');
      return reply
        .code(failed ? 503 : 200)
        .send({ status: failed ? 'fail' : 'pass', checks: Object.fromEntries(results) });
    },
  );
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return { status: 'pass' };
  } catch (error) {
    return { status: 'fail', detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
