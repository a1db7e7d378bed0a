// The one upstream (UPSTREAM_URL, normally the load balancer), through a keep-alive undici Pool. A request either
// gets an answer, whose body is handed back as a stream, or fails with the status the contract gives it:
// unreachable or broken off → 502, no headers (or no next body chunk) within UPSTREAM_TIMEOUT_MS → 504.
import { Agent } from 'node:http';
import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import type { HeaderMap } from '../cache/response-cache.js';
import { sendWithContinue, type UpstreamResponse } from './continue-upload.js';

export interface UpstreamRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  /** `/blobs/<id>` plus the query, the id percent-encoded so it stays one path segment */
  path: string;
  headers: HeaderMap;
  body?: Readable | undefined;
  /** aborted when the client goes away */
  signal: AbortSignal;
  /**
   * Whether the client's upload broke off. `body` is the proxy's own stream (proxy/upload.ts), which undici may
   * destroy itself, so its state does not say whether the client left.
   */
  uploadBroke?: () => boolean;
  /**
   * Set when the client sent `Expect: 100-continue` with an upload: the request goes upstream with it too
   * (continue-upload.ts), and this is called when upstream's 100 arrives, to send the client its own.
   */
  onContinue?: () => void;
}

export type UpstreamResult =
  | { kind: 'answered'; response: UpstreamResponse }
  | { kind: 'failed'; status: 502 | 504; detail: string }
  | { kind: 'client-gone' };

const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export type { UpstreamResponse };

export class Upstream {
  private readonly pool: Pool;
  /** connections for uploads sent with `Expect: 100-continue`, which undici cannot send */
  private readonly continueAgent: Agent;

  constructor(
    readonly url: string,
    private readonly options: { connections: number; timeoutMs: number },
  ) {
    this.pool = new Pool(new URL(url).origin, {
      connections: options.connections,
      connectTimeout: Math.min(options.timeoutMs, 10_000),
      pipelining: 1,
    });
    this.continueAgent = new Agent({ keepAlive: true, maxSockets: options.connections });
  }

  async send(request: UpstreamRequest): Promise<UpstreamResult> {
    if (request.onContinue && request.body) return this.sendWithContinue(request, request.body);
    try {
      const response = await this.pool.request({
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body ?? null,
        signal: request.signal,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      });
      return { kind: 'answered', response };
    } catch (error) {
      if (request.signal.aborted || request.uploadBroke?.()) return { kind: 'client-gone' };
      return this.failure(error);
    }
  }

  private async sendWithContinue(request: UpstreamRequest, body: Readable): Promise<UpstreamResult> {
    const result = await sendWithContinue({
      origin: new URL(this.url),
      agent: this.continueAgent,
      method: request.method,
      path: request.path,
      headers: request.headers,
      body,
      signal: request.signal,
      timeoutMs: this.options.timeoutMs,
      onContinue: request.onContinue ?? (() => undefined),
    });
    if ('response' in result) return { kind: 'answered', response: result.response };
    if (request.signal.aborted || request.uploadBroke?.()) return { kind: 'client-gone' };
    return this.failure(result.error);
  }

  /** Why an exchange with upstream failed, as the status and detail the client gets. */
  failure(error: unknown): { kind: 'failed'; status: 502 | 504; detail: string } {
    const code = (error as { code?: unknown } | undefined)?.code;
    const reason = error instanceof Error ? error.message : String(error);
    if (typeof code === 'string' && TIMEOUTS.has(code)) {
      return {
        kind: 'failed',
        status: 504,
        detail: `the upstream ${this.url} did not answer within UPSTREAM_TIMEOUT_MS (${this.options.timeoutMs} ms)`,
      };
    }
    return {
      kind: 'failed',
      status: 502,
      detail: `the upstream ${this.url} could not be reached or broke off the exchange (${typeof code === 'string' ? code : reason})`,
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
