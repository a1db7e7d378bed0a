// The rebalancer's HTTP conversation with one blob server, over the balancer's keep-alive pool to it: a page of
// its listing, what it holds of one id (HEAD), a blob's bytes with its version and stored headers, writing a copy
// at exactly that version (data, or a tombstone as a versioned DELETE), and purging one exact version. Every
// request has a time limit and can be aborted; /internal requests carry the internal token when one is set. An
// answer the contract does not allow is a NodeRequestError, never a guess.
import type { Readable } from 'node:stream';
import { BLOB_VERSION_HEADER } from '@backend-rebase/blob-contract';
import type { Dispatcher } from 'undici';
import type { Copy } from './reconcile.js';

export interface ListingEntry extends Copy {
  id: string;
}

export interface ListingPage {
  entries: ListingEntry[];
  /** the cursor of the next page; null on the last */
  next: string | null;
}

/** A blob's bytes as one node serves them, with what a copy must carry. */
export interface Download {
  version: number;
  /** Content-Type and every x-rebase-* header, as stored */
  storedHeaders: Record<string, string>;
  size: number;
  body: Readable;
}

/** The node took the write, or holds a newer version (or the other kind at this version) and refused it. */
export type WriteOutcome = { status: 'stored' } | { status: 'conflict'; version: number };

export type PurgeOutcome =
  { status: 'purged' } | { status: 'absent' } | { status: 'conflict'; version: number };

export interface NodeClientOptions {
  internalToken?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export class NodeRequestError extends Error {
  constructor(
    readonly node: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${node}: ${message}`, options);
    this.name = 'NodeRequestError';
  }
}

const STORED_PREFIX = 'x-rebase-';

export class NodeClient {
  constructor(
    readonly name: string,
    private readonly pool: Dispatcher,
    private readonly options: NodeClientOptions,
  ) {}

  async list(cursor: string | undefined, limit: number): Promise<ListingPage> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor !== undefined) query.set('cursor', cursor);
    const response = await this.send('GET', `/internal/blobs?${query.toString()}`, { internal: true });
    if (response.statusCode !== 200) throw await this.unexpected(response, 'GET /internal/blobs');
    const page = parseListing(await response.body.json());
    if (!page) throw new NodeRequestError(this.name, 'GET /internal/blobs answered a malformed page');
    return page;
  }

  /** What the node holds of `id`: data, a tombstone, or nothing (undefined). */
  async head(id: string): Promise<Copy | undefined> {
    const response = await this.send('HEAD', blobPath(id));
    const version = versionOf(response.headers);
    const { statusCode } = response;
    if (!((statusCode === 200 && version !== undefined) || statusCode === 404))
      throw await this.unexpected(response, `HEAD ${blobPath(id)}`);
    await response.body.dump();
    if (statusCode === 200) return { version: version as number, deleted: false };
    return version === undefined ? undefined : { version, deleted: true };
  }

  /** The blob's bytes, or undefined when the node no longer holds data for `id`. */
  async download(id: string): Promise<Download | undefined> {
    const response = await this.send('GET', blobPath(id));
    const version = versionOf(response.headers);
    const size = Number(response.headers['content-length']);
    if (response.statusCode === 200 && version !== undefined && Number.isSafeInteger(size)) {
      const storedHeaders: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value === undefined) continue;
        if (name === 'content-type' || name.startsWith(STORED_PREFIX))
          storedHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      return { version, storedHeaders, size, body: response.body };
    }
    if (response.statusCode === 404) {
      await response.body.dump();
      return undefined;
    }
    throw await this.unexpected(response, `GET ${blobPath(id)}`);
  }

  /** Writes `download` here at its version, streaming the body through. */
  async upload(id: string, download: Download): Promise<WriteOutcome> {
    const response = await this.send('PUT', blobPath(id), {
      headers: {
        ...download.storedHeaders,
        'content-length': String(download.size),
        [BLOB_VERSION_HEADER]: String(download.version),
      },
      body: download.body,
    });
    return this.writeOutcome(response, `PUT ${blobPath(id)}`, [200, 201]);
  }

  /** Leaves a tombstone at exactly `version` (a versioned DELETE). */
  async deleteAt(id: string, version: number): Promise<WriteOutcome> {
    const response = await this.send('DELETE', blobPath(id), {
      headers: { [BLOB_VERSION_HEADER]: String(version) },
    });
    return this.writeOutcome(response, `DELETE ${blobPath(id)}`, [204]);
  }

  /** Removes exactly `version` of `id` (data or tombstone) and leaves nothing behind. */
  async purge(id: string, version: number): Promise<PurgeOutcome> {
    const path = `/internal${blobPath(id)}?version=${version}`;
    const response = await this.send('DELETE', path, { internal: true });
    const stored = versionOf(response.headers);
    const outcome: PurgeOutcome | undefined =
      response.statusCode === 204
        ? { status: 'purged' }
        : response.statusCode === 404
          ? { status: 'absent' }
          : response.statusCode === 409 && stored !== undefined
            ? { status: 'conflict', version: stored }
            : undefined;
    if (!outcome) throw await this.unexpected(response, `DELETE ${path}`);
    await response.body.dump();
    return outcome;
  }

  private async writeOutcome(
    response: Dispatcher.ResponseData,
    what: string,
    success: number[],
  ): Promise<WriteOutcome> {
    if (success.includes(response.statusCode)) {
      await response.body.dump();
      return { status: 'stored' };
    }
    const stored = versionOf(response.headers);
    if (response.statusCode === 409 && stored !== undefined) {
      await response.body.dump();
      return { status: 'conflict', version: stored };
    }
    throw await this.unexpected(response, what);
  }

  private async send(
    method: Dispatcher.HttpMethod,
    path: string,
    extra: { internal?: boolean; headers?: Record<string, string>; body?: Readable } = {},
  ): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { ...extra.headers };
    if (extra.internal && this.options.internalToken !== undefined)
      headers.authorization = `Bearer ${this.options.internalToken}`;
    try {
      return await this.pool.request({
        method,
        path,
        headers,
        body: extra.body,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        signal: this.options.signal,
      });
    } catch (error) {
      throw new NodeRequestError(this.name, `${method} ${path} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  private async unexpected(response: Dispatcher.ResponseData, what: string): Promise<NodeRequestError> {
    // A problem's detail says what went wrong; any other body (a blob, say) is not read.
    const type = String(response.headers['content-type'] ?? '');
    const detail = type.includes('json')
      ? await response.body.text().catch(() => '')
      : await response.body.dump().then(
          () => '',
          () => '',
        );
    return new NodeRequestError(
      this.name,
      `${what} answered ${response.statusCode}${detail ? `: ${detail.slice(0, 200)}` : ''}`,
    );
  }
}

function blobPath(id: string): string {
  return `/blobs/${encodeURIComponent(id)}`;
}

function versionOf(headers: Dispatcher.ResponseData['headers']): number | undefined {
  const raw = headers[BLOB_VERSION_HEADER];
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) return undefined;
  const version = Number(raw);
  return Number.isSafeInteger(version) ? version : undefined;
}

function parseListing(body: unknown): ListingPage | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { data, next } = body as { data?: unknown; next?: unknown };
  if (!Array.isArray(data) || !(next === null || typeof next === 'string')) return undefined;
  const entries: ListingEntry[] = [];
  for (const item of data as unknown[]) {
    if (typeof item !== 'object' || item === null) return undefined;
    const { id, version, deleted, modified } = item as Record<string, unknown>;
    if (typeof id !== 'string' || !Number.isSafeInteger(version) || typeof deleted !== 'boolean')
      return undefined;
    entries.push({
      id,
      version: version as number,
      deleted,
      // Without it (a node from before versions were listed with their time) a tombstone is never reclaimed.
      ...(typeof modified === 'number' && Number.isFinite(modified) ? { modified } : {}),
    });
  }
  return { entries, next };
}
