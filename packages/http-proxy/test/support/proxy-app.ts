// A minimal proxy on the service kit, built only from http-proxy's parts, in front of one real upstream: what
// both services do for /blobs/:id, without their policy. Every answer it relays carries `x-served-by: test`.
import { captureLogger } from '@backend-rebase/logger/testing';
import { createService, type Service } from '@backend-rebase/service-kit';
import {
  abandonAnswer,
  clientGoneSignal,
  failureKind,
  gatewayStatus,
  proxyProblem,
  relayAnswer,
  sendThrough,
  upstreamPool,
  upstreamRequestFor,
} from '../../src/index.js';

export const ADDED = { 'x-served-by': 'test' };

export async function startProxy(
  upstreamOrigin: string,
  timeoutMs = 5_000,
): Promise<{ app: Service; url: string }> {
  const pool = upstreamPool(upstreamOrigin, { connections: 4, connectTimeoutMs: 1_000 });
  const app = await createService({ name: 'test-proxy', logger: captureLogger().logger });
  app.route<{ Params: { id: string } }>({
    method: ['GET', 'HEAD', 'DELETE'],
    url: '/blobs/:id',
    handler: async (request, reply) => {
      const upstream = upstreamRequestFor(
        request,
        `/blobs/${request.params.id}`,
        clientGoneSignal(reply.raw),
      );
      let response;
      try {
        response = await sendThrough(pool, upstream, timeoutMs);
      } catch (error) {
        if (upstream.signal.aborted) {
          abandonAnswer(reply);
          return;
        }
        proxyProblem(reply, gatewayStatus(failureKind(error)), 'the upstream gave no answer', ADDED);
      }
      await relayAnswer(
        request,
        reply,
        { status: response.statusCode, headers: response.headers, body: response.body },
        ADDED,
      );
    },
  });
  app.addHook('onClose', async () => {
    await pool.destroy();
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}` };
}
