// One log line per request, once its response has gone out: method, URL, status code and time, with the
// request id that every line of the request carries. Fastify's default is two lines (on arrival and on
// completion), which doubles what logging costs on every request for little more information: a request that
// never completes still shows up in the error and shutdown logs.
import type { Service } from './service.js';

export function logEachRequest(app: Service): void {
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      {
        method: request.method,
        url: request.url,
        statusCode: reply.statusCode,
        responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request completed',
    );
    done();
  });
}
