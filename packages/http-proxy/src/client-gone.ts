// The client may leave at any time, and nothing should go on upstream for it when it does. Guarantee: the signal
// aborts when the client's connection closes before its answer was written whole, and never after a complete
// answer; undici and node:http both stop a request when its signal aborts.
import type { ServerResponse } from 'node:http';

export function clientGoneSignal(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableEnded) controller.abort();
  });
  return controller.signal;
}
