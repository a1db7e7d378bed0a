// The client may leave at any time, and nothing should go on upstream for it when it does. Guarantee: the signal
// aborts when the client's connection closes before its answer was written whole, and never after a complete
// answer; undici and node:http both stop a request when its signal aborts.
//
// One is made for every proxied request, so it is the proxies' own small signal rather than an AbortController's:
// an AbortSignal is an EventTarget, several times dearer to make, to listen to and to stop listening to, which a
// profile of the balancer under load showed as a few percent of its time. It has what undici and node:http read
// of a signal (`aborted`, `reason`, add/removeEventListener for 'abort'), and AbortSignal fits its type, so a
// test or a fill that never aborts can pass one.
import type { ServerResponse } from 'node:http';

/** What a proxied request's signal offers; an AbortSignal is one too. */
export interface ClientGoneSignal {
  readonly aborted: boolean;
  /** why it aborted (an AbortError, as AbortController gives); undefined before */
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Listeners run once, in the order they were added, as an AbortSignal's 'abort' listeners do. */
class ClientGone implements ClientGoneSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] | undefined;

  addEventListener(type: 'abort', listener: () => void): void {
    if (type !== 'abort' || this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(type: 'abort', listener: () => void): void {
    const index = this.listeners?.indexOf(listener) ?? -1;
    if (index >= 0) this.listeners?.splice(index, 1);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = new DOMException('This operation was aborted', 'AbortError');
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const listener of listeners ?? []) listener();
  }
}

export function clientGoneSignal(response: ServerResponse): ClientGoneSignal {
  const signal = new ClientGone();
  response.once('close', () => {
    if (!response.writableEnded) signal.abort();
  });
  return signal;
}
