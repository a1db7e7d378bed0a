// GET /dashboard and its files (dashboard/assets.ts). The page gets a Content-Security-Policy that allows
// nothing but this origin's own scripts, styles, images and JSON endpoints, so even an injected tag could not
// run inline code or reach another host. Every file answers a matching If-None-Match with 304.
import { Type, type FastifyPluginAsyncTypebox } from '@backend-rebase/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Asset } from '../dashboard/assets.js';

export interface DashboardRoutesOptions {
  assets: Map<string, Asset>;
}

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const dashboardRoutes: FastifyPluginAsyncTypebox<DashboardRoutesOptions> = async (app, { assets }) => {
  for (const [url, asset] of assets) {
    const page = url === '/dashboard';
    app.get(
      url,
      {
        schema: page
          ? {
              tags: ['dashboard'],
              summary: "Charts of a page's hourly views over the last 24 hours and of today's top pages",
              produces: ['text/html'],
              // Documentation only: the page is sent as it is, never through a serializer.
              response: {
                200: Type.String({ description: 'the dashboard page' }),
                304: Type.Null({ description: 'the page is unchanged (If-None-Match); no body' }),
              },
            }
          : { hide: true },
      },
      (request, reply) => send(request, reply, asset, page),
    );
  }
};

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset, page: boolean): FastifyReply {
  reply
    .header('cache-control', asset.cacheControl)
    .header('etag', asset.etag)
    .header('x-content-type-options', 'nosniff');
  if (page) {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY).header('referrer-policy', 'no-referrer');
  }
  const cached = request.headers['if-none-match']?.split(',').some((tag) => tag.trim() === asset.etag);
  if (cached) return reply.code(304).send();
  return reply.type(asset.contentType).send(asset.body);
}
