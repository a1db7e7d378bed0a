// The one upstream (UPSTREAM_URL, normally the load balancer), through the shared plumbing of
// @backend-rebase/http-proxy. A request either gets an answer, whose body is handed back as a stream, or fails
// with the status the contract gives it: unreachable or broken off → 502, no headers (or no next body chunk)
// within UPSTREAM_TIMEOUT_MS → 504.
import type { Agent } from 'node:http';
import type { Readable } from 'node:stream';
import {
  ContinueUpload,
  errorCode,
  failureKind,
  gatewayStatus,
  sendThrough,
  uploadAgent,
  upstreamPool,
  type UpstreamRequest as BaseRequest,
  type UpstreamResponse,
} from '@backend-rebase/http-proxy';
import type { Pool } from 'undici';

export interface UpstreamRequest extends BaseRequest {
  body?: Readable | undefined;
  /**
   * Whether the client's upload broke off. `body` is the proxy's own stream (proxy/upload.ts), which undici may
   * destroy itself, so its state does not say whether the client left.
   */
  uploadBroke?: () => boolean;
  /**
   * Set when the client sent `Expect: 100-continue` with an upload: the request goes upstream with it too, and
   * this is called when upstream's 100 arrives, to send the client its own.
   */
  onContinue?: () => void;
}

export type UpstreamResult =
  | { kind: 'answered'; response: UpstreamResponse }
  | { kind: 'failed'; status: 502 | 504; detail: string }
  | { kind: 'client-gone' };

export type { UpstreamResponse };

export class Upstream {
  private readonly pool: Pool;
  private readonly origin: URL;
  /** connections for uploads sent with `Expect: 100-continue`, which undici cannot send */
  private readonly continueAgent: Agent;

  constructor(
    readonly url: string,
    private readonly options: { connections: number; timeoutMs: number },
  ) {
    this.origin = new URL(url);
    this.pool = upstreamPool(this.origin.origin, {
      connections: options.connections,
      connectTimeoutMs: Math.min(options.timeoutMs, 10_000),
    });
    this.continueAgent = uploadAgent(options.connections);
  }

  async send(request: UpstreamRequest): Promise<UpstreamResult> {
    if (request.onContinue && request.body)
      return this.sendWithContinue(request, request.onContinue, request.body);
    try {
      const response = await sendThrough(this.pool, request, this.options.timeoutMs);
      return { kind: 'answered', response };
    } catch (error) {
      if (request.signal.aborted || request.uploadBroke?.()) return { kind: 'client-gone' };
      return this.failure(error);
    }
  }

  private async sendWithContinue(
    request: UpstreamRequest,
    onContinue: () => void,
    body: Readable,
  ): Promise<UpstreamResult> {
    const upload = new ContinueUpload({
      host: this.origin.hostname,
      port: this.origin.port,
      method: request.method,
      path: request.path,
      headers: request.headers,
      agent: this.continueAgent,
      signal: request.signal,
      timeoutMs: this.options.timeoutMs,
    });
    if ((await upload.ready).kind === 'continue') {
      onContinue();
      body.pipe(upload.sink);
    }
    const done = await upload.done;
    if (done.kind === 'answered') return done;
    if (request.signal.aborted || request.uploadBroke?.()) return { kind: 'client-gone' };
    return this.failure(done.error);
  }

  /** Why an exchange with upstream failed, as the status and detail the client gets. */
  failure(error: unknown): { kind: 'failed'; status: 502 | 504; detail: string } {
    const status = gatewayStatus(failureKind(error));
    if (status === 504) {
      return {
        kind: 'failed',
        status,
        detail: `the upstream ${this.url} did not answer within UPSTREAM_TIMEOUT_MS (${this.options.timeoutMs} ms)`,
      };
    }
    const reason = errorCode(error) ?? (error instanceof Error ? error.message : String(error));
    return {
      kind: 'failed',
      status,
      detail: `the upstream ${this.url} could not be reached or broke off the exchange (${reason})`,
    };
  }

  /** Resolves when upstream's /ready answers 200. */
  async ready(): Promise<void> {
    const response = await this.pool.request({
      method: 'GET',
      path: '/ready',
      headersTimeout: 1500,
      bodyTimeout: 1500,
    });
    await response.body.dump();
    if (response.statusCode !== 200) {
      throw new Error(`the upstream ${this.url} is not ready (/ready answered ${response.statusCode})`);
    }
  }

  async close(): Promise<void> {
    this.continueAgent.destroy();
    await this.pool.close();
  }
}
