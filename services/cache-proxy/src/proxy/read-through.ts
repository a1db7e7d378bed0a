// Reads (GET, HEAD) and writes (PUT, POST, DELETE) of /blobs/:id through the cache. Decides where an answer
// comes from; routes/blobs.ts writes it to the client.
//
// A GET miss is one fill, shared by every concurrent miss for the id (cache/singleflight.ts). The leader's client
// gets upstream's body as it arrives: it flows through a Transform that passes every chunk on and, on the side,
// keeps a copy while the total stays within CACHE_MAX_ENTRY_BYTES (past that the copy is dropped and the rest
// only streams through). When the body has ended, the copy becomes the entry (if the response may be stored and
// no write invalidated the id meanwhile: cache/response-cache.ts's generations) and the answer of the
// collapsed requests. A fill that leaves nothing to share (too large, not storable, the leader's client gone,
// upstream broke off) sends each collapsed request upstream on its own.
//
// Writes stream the body upstream untouched and invalidate the id as soon as upstream's answer arrives, before
// the client sees it: a GET sent after the acknowledgement can only miss and start a new fill.
import { Transform, pipeline, type Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { downstreamResponseHeaders } from '@backend-rebase/http-proxy';
import type { CachedResponse, FillToken, HeaderMap, ResponseCache } from '../cache/response-cache.js';
import { Singleflight } from '../cache/singleflight.js';
import { cacheDirectives } from './cache-control.js';
import type { Upstream, UpstreamRequest } from './upstream.js';

export type XCache = 'HIT' | 'MISS' | 'BYPASS';

export type Answer =
  | { kind: 'memory'; response: CachedResponse; xCache: XCache; cacheStatus: string }
  | {
      kind: 'stream';
      status: number;
      headers: HeaderMap;
      body: Readable;
      xCache: XCache | undefined;
      cacheStatus: string | undefined;
    }
  | { kind: 'failed'; status: 502 | 504; detail: string }
  | { kind: 'client-gone' };

/** What a fill leaves for the requests collapsed into it. */
type FillOutcome =
  | { kind: 'complete'; response: CachedResponse }
  | { kind: 'failed'; status: 502 | 504; detail: string }
  | { kind: 'refetch' };

/** Upstream's headers that describe one response, not the blob: never replayed from the cache. */
const NOT_STORED = new Set(['date', 'x-request-id', 'age', 'x-cache', 'cache-status', 'set-cookie']);

/** Request headers a fill does not send: its answer must be the whole blob, whoever asked. */
const NOT_FOR_FILLS = new Set(['if-none-match', 'if-modified-since', 'if-match', 'range', 'cache-control']);

const STATUS_PREFIX = 'rebase-cache';

export interface ReadThroughOptions {
  cache: ResponseCache;
  upstream: Upstream;
  ttlSeconds: number;
  now: () => number;
}

export class ReadThrough {
  private readonly fills = new Singleflight<string, FillOutcome>();

  constructor(private readonly options: ReadThroughOptions) {}

  /** GET or HEAD. `request.headers` are the client's end-to-end headers. */
  async read(id: string, request: UpstreamRequest, clientHeaders: HeaderMap): Promise<Answer> {
    const { cache } = this.options;
    const directives = cacheDirectives(clientHeaders['cache-control']);
    if (directives.has('no-store') || clientHeaders.range !== undefined) {
      // Ranges are passed through: the cache keeps whole blobs only.
      return this.passThrough(request, 'BYPASS', `${STATUS_PREFIX}; fwd=bypass`);
    }
    let stale = false;
    if (!directives.has('no-cache')) {
      const hit = cache.lookup(id);
      if (hit && !this.expired(hit)) {
        cache.count('hits');
        return { kind: 'memory', response: hit, xCache: 'HIT', cacheStatus: `${STATUS_PREFIX}; hit` };
      }
      stale = hit !== undefined;
    }
    // HEAD and conditional misses go upstream as sent: their answers carry no body to store.
    if (request.method === 'HEAD' || clientHeaders['if-none-match'] !== undefined) {
      cache.count('misses');
      return this.passThrough(request, 'MISS', `${STATUS_PREFIX}; fwd=uri-miss`);
    }
    // no-cache: a new fill, which later misses join, rather than an older one that may predate the request.
    if (directives.has('no-cache')) this.fills.forget(id);
    const fwd = directives.has('no-cache') ? 'request' : stale ? 'stale' : 'uri-miss';

    // do() runs the callback at once when this request leads, so leaderAnswer is set when shared is false.
    let leaderAnswer: Promise<Answer> | undefined;
    const { result, shared } = this.fills.do(id, () => {
      const fill = this.fill(id, request, fwd);
      leaderAnswer = fill.answer;
      return fill.outcome;
    });
    if (!shared && leaderAnswer) {
      cache.count('misses');
      // The leader answers as soon as upstream's headers arrive; `result` settles when the body has ended.
      return leaderAnswer;
    }
    cache.count('collapsed');
    const outcome = await result;
    if (outcome.kind === 'complete') {
      return {
        kind: 'memory',
        response: outcome.response,
        xCache: 'MISS',
        cacheStatus: `${STATUS_PREFIX}; fwd=${fwd}; collapsed`,
      };
    }
    if (outcome.kind === 'failed') return outcome;
    return this.passThrough(request, 'MISS', `${STATUS_PREFIX}; fwd=${fwd}`);
  }

  /** PUT, POST, DELETE: passed through; the id is invalidated once upstream has answered (or failed). */
  async write(id: string, request: UpstreamRequest): Promise<Answer> {
    const result = await this.options.upstream.send(request);
    this.invalidate(id);
    if (result.kind !== 'answered') return result;
    return this.streamed(result.response, undefined, undefined);
  }

  /** PURGE and writes: drops the entry, stops in-flight fills from storing, and later misses start afresh. */
  invalidate(id: string): void {
    this.options.cache.invalidate(id);
    this.fills.forget(id);
  }

  clear(): void {
    this.options.cache.clear();
    this.fills.forgetAll();
  }

  private expired(entry: CachedResponse): boolean {
    const { ttlSeconds, now } = this.options;
    return ttlSeconds > 0 && now() - entry.storedAt >= ttlSeconds * 1000;
  }

  /** One upstream GET whose body is streamed to the leader and copied for the cache. */
  private fill(
    id: string,
    request: UpstreamRequest,
    fwd: string,
  ): { answer: Promise<Answer>; outcome: Promise<FillOutcome> } {
    const { cache, upstream, now } = this.options;
    const token = cache.beginFill(id);
    const headers: HeaderMap = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!NOT_FOR_FILLS.has(name)) headers[name] = value;
    }
    let settle: (outcome: FillOutcome) => void = () => undefined;
    const outcome = new Promise<FillOutcome>((resolve) => (settle = resolve));
    const answer = upstream.send({ ...request, method: 'GET', headers }).then((result): Answer => {
      if (result.kind !== 'answered') {
        cache.abandon(token);
        settle(result.kind === 'failed' ? result : { kind: 'refetch' });
        return result;
      }
      try {
        return this.tee(result.response, token, fwd, now(), settle);
      } catch (error) {
        // Never leave the collapsed requests waiting.
        cache.abandon(token);
        settle({ kind: 'refetch' });
        throw error;
      }
    });
    return { answer, outcome };
  }

  private tee(
    response: Dispatcher.ResponseData,
    token: FillToken,
    fwd: string,
    arrivedAt: number,
    settle: (outcome: FillOutcome) => void,
  ): Answer {
    const { cache } = this.options;
    const status = response.statusCode;
    const headers = downstreamResponseHeaders(response.headers);
    const kept: HeaderMap = {};
    for (const [name, value] of Object.entries(headers)) if (!NOT_STORED.has(name)) kept[name] = value;
    const directives = cacheDirectives(headers['cache-control']);
    const personal = directives.has('no-store') || directives.has('private');
    const storable = status === 200 && !personal;
    // 404s and other small answers are shared with the collapsed requests, never stored.
    const shareable = !personal && (status === 200 || status === 404 || status === 410);
    const declared = Number(headers['content-length'] ?? NaN);
    const fits = Number.isNaN(declared) || declared <= cache.maxEntryBytes;
    let copying = shareable && fits;
    const willStore = storable && copying && !Number.isNaN(declared);

    const chunks: Buffer[] = [];
    let copied = 0;
    let ended = false;
    const copy = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        if (copying) {
          copied += chunk.length;
          if (copied > cache.maxEntryBytes) {
            copying = false; // too large after all: stream the rest, keep nothing
            chunks.length = 0;
          } else chunks.push(chunk);
        }
        done(null, chunk);
      },
      flush(done) {
        ended = true;
        if (!copying) {
          cache.abandon(token);
          settle({ kind: 'refetch' });
        } else {
          const body = Buffer.concat(chunks, copied);
          const etag = headers.etag;
          const entry: CachedResponse = {
            status,
            headers: kept,
            body,
            etag: typeof etag === 'string' ? etag : undefined,
            storedAt: arrivedAt,
          };
          if (storable) cache.store(token, entry);
          else cache.abandon(token);
          settle({ kind: 'complete', response: entry });
        }
        done();
      },
    });
    pipeline(response.body, copy, () => {
      // Ended normally, or broke off (upstream, or the leader's client left): nothing to share then.
      if (!ended) {
        cache.abandon(token);
        settle({ kind: 'refetch' });
      }
    });
    return {
      kind: 'stream',
      status,
      headers,
      body: copy,
      xCache: 'MISS',
      cacheStatus: `${STATUS_PREFIX}; fwd=${fwd}${willStore ? '; stored' : ''}`,
    };
  }

  private async passThrough(request: UpstreamRequest, xCache: XCache, cacheStatus: string): Promise<Answer> {
    const result = await this.options.upstream.send(request);
    if (result.kind !== 'answered') return result;
    return this.streamed(result.response, xCache, cacheStatus);
  }

  private streamed(
    response: Dispatcher.ResponseData,
    xCache: XCache | undefined,
    cacheStatus: string | undefined,
  ): Answer {
    return {
      kind: 'stream',
      status: response.statusCode,
      headers: downstreamResponseHeaders(response.headers),
      body: response.body,
      xCache,
      cacheStatus,
    };
  }
}
