// Reads (GET, HEAD) and writes (PUT, POST, DELETE) of /blobs/:id through the cache. Decides where an answer
// comes from; routes/blobs.ts writes it to the client.
//
// A GET miss is one fill, shared by every concurrent miss for the id (cache/singleflight.ts). When upstream's
// answer may be shared (a 200, 404 or 410 without no-store/private) and declares a Content-Length within
// CACHE_MAX_ENTRY_BYTES, the fill reserves the entry's size in the cache's byte budget (evicting least recently
// used entries) and reads the body at upstream's pace into one Buffer of that size; then every request of the
// fill, the first one included, is answered from that Buffer. So:
// - the fill never waits for a client: a first reader that reads slowly (or not at all) holds back neither the
//   upstream read nor the requests collapsed into it, and its own answer is the shared Buffer (no copy of its
//   own); its connection is closed by the kit's idle bound (HTTP_IDLE_TIMEOUT), not the fill;
// - `Cache-Status: …; stored` is said only when the entry was stored, since the answer starts after the store;
// - memory: the copies of all fills in flight count toward CACHE_MAX_BYTES with the entries.
// Any other answer (too large, no length, not shareable, or the budget cannot give the bytes) streams through to
// the first client at its pace, uncached, and the collapsed requests are told at once to go upstream on their own.
// Invalidation: a write (or PURGE) bumps the generation of the id's fills in flight (they cannot store) and makes
// later misses start a new fill; a `no-cache` refresh bumps it too (supersede), so an older fill can never
// overwrite what the refresh stores.
//
// Writes stream the body upstream untouched and invalidate the id as soon as upstream's answer arrives, before
// the client sees it: a GET sent after the acknowledgement can only miss and start a new fill.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Clock } from '@backend-rebase/service-kit';
import {
  downstreamResponseHeaders,
  endToEndRequestHeader,
  type ClientGoneSignal,
  type HeaderMap,
  type ResponseHeaders,
} from '@backend-rebase/http-proxy';
import {
  entryBytes,
  sizeOfResponse,
  type CachedResponse,
  type FillToken,
  type ResponseCache,
} from '../cache/response-cache.js';
import { Singleflight } from '../cache/singleflight.js';
import { cacheDirectives } from './cache-control.js';
import type { Upstream, UpstreamRequest, UpstreamResponse } from './upstream.js';

export type XCache = 'HIT' | 'MISS' | 'BYPASS';

export interface MemoryAnswer {
  kind: 'memory';
  response: CachedResponse;
  xCache: XCache;
  cacheStatus: string;
}

export type Answer =
  | MemoryAnswer
  | {
      kind: 'stream';
      status: number;
      /** as upstream sent them: the relay keeps the end-to-end ones */
      headers: ResponseHeaders;
      body: Readable;
      xCache: XCache | undefined;
      cacheStatus: string | undefined;
      /** upstream said `Connection: close`: the client's connection is closed after this answer too */
      upstreamCloses: boolean;
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
const HIT_STATUS = `${STATUS_PREFIX}; hit`;

export interface ReadThroughOptions {
  cache: ResponseCache;
  upstream: Upstream;
  ttlSeconds: number;
  now: Clock;
}

export class ReadThrough {
  private readonly fills = new Singleflight<string, FillOutcome>();

  constructor(private readonly options: ReadThroughOptions) {}

  /**
   * GET or HEAD, answered from memory: a fresh entry, counted as a hit. Undefined when read() must decide (no
   * fresh entry, or the client asked for a range, no-store or no-cache), which it then does as it would have:
   * this reads only the headers that decide, so a hit builds no upstream request at all.
   */
  hit(id: string, clientHeaders: IncomingHttpHeaders): MemoryAnswer | undefined {
    if (endToEndRequestHeader(clientHeaders, 'range') !== undefined) return undefined;
    const cacheControl = endToEndRequestHeader(clientHeaders, 'cache-control');
    if (cacheControl !== undefined) {
      const directives = cacheDirectives(cacheControl);
      if (directives.has('no-store') || directives.has('no-cache')) return undefined;
    }
    return this.lookUp(id).hit;
  }

  /** The entry for `id` as a hit (counted as one) when it is fresh; `stale` when the entry there has expired. */
  private lookUp(id: string): { hit?: MemoryAnswer; stale: boolean } {
    const { cache } = this.options;
    const entry = cache.lookup(id);
    if (!entry) return { stale: false };
    if (this.expired(entry)) return { stale: true };
    cache.count('hits');
    return { hit: { kind: 'memory', response: entry, xCache: 'HIT', cacheStatus: HIT_STATUS }, stale: false };
  }

  /** GET or HEAD. `request.headers` are the client's end-to-end headers. */
  async read(id: string, request: UpstreamRequest): Promise<Answer> {
    const { cache } = this.options;
    const clientHeaders = request.headers;
    const directives = cacheDirectives(clientHeaders['cache-control']);
    if (directives.has('no-store') || clientHeaders.range !== undefined) {
      // Ranges are passed through: the cache keeps whole blobs only.
      return this.passThrough(request, 'BYPASS', `${STATUS_PREFIX}; fwd=bypass`);
    }
    let stale = false;
    if (!directives.has('no-cache')) {
      const found = this.lookUp(id);
      if (found.hit) return found.hit;
      stale = found.stale;
    }
    // HEAD and conditional misses go upstream as sent: their answers carry no body to store.
    if (request.method === 'HEAD' || clientHeaders['if-none-match'] !== undefined) {
      cache.count('misses');
      return this.passThrough(request, 'MISS', `${STATUS_PREFIX}; fwd=uri-miss`);
    }
    // no-cache: a new fill, which later misses join, rather than an older one that may predate the request; and
    // the older one may no longer store, or it could overwrite the refresh with what it read before.
    if (directives.has('no-cache')) {
      cache.supersede(id);
      this.fills.forget(id);
    }
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

  /**
   * One upstream GET for the id: read whole into the cache's budget and shared (see the header), or streamed
   * through to the first client. Not tied to the first client until it streams through: a fill others wait for
   * runs on when its first client leaves.
   */
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
    const answer = upstream
      .send({ ...request, method: 'GET', headers, signal: new AbortController().signal })
      .then(async (result): Promise<Answer> => {
        if (result.kind !== 'answered') {
          cache.abandon(token);
          settle(result.kind === 'failed' ? result : { kind: 'refetch' });
          return result;
        }
        try {
          return await this.answered(result.response, token, fwd, now(), settle, request.signal);
        } catch (error) {
          // Never leave the collapsed requests waiting.
          cache.abandon(token);
          settle({ kind: 'refetch' });
          throw error;
        }
      });
    return { answer, outcome };
  }

  private async answered(
    response: UpstreamResponse,
    token: FillToken,
    fwd: string,
    arrivedAt: number,
    settle: (outcome: FillOutcome) => void,
    leaderGone: ClientGoneSignal,
  ): Promise<Answer> {
    const { cache, upstream } = this.options;
    const status = response.statusCode;
    const headers = downstreamResponseHeaders(response.headers);
    const kept: HeaderMap = {};
    for (const [name, value] of Object.entries(headers)) if (!NOT_STORED.has(name)) kept[name] = value;
    const directives = cacheDirectives(headers['cache-control']);
    const personal = directives.has('no-store') || directives.has('private');
    const storable = status === 200 && !personal;
    // 404s and other small answers are shared with the collapsed requests, never stored.
    const shareable = !personal && (status === 200 || status === 404 || status === 410);
    const declared = contentLengthOf(headers['content-length']);
    const reservation =
      shareable &&
      declared !== undefined &&
      sizeOfResponse({ headers: kept, body: { length: declared } }) <= cache.maxEntryBytes
        ? entryBytes(token.id, kept, declared)
        : undefined;

    if (reservation !== undefined && cache.reserve(reservation)) {
      let body: Buffer;
      try {
        body = await readWhole(response.body, declared ?? 0);
      } catch (error) {
        cache.release(reservation);
        cache.abandon(token);
        const failure = upstream.failure(error);
        settle(failure);
        return failure;
      }
      const etag = headers.etag;
      const entry: CachedResponse = {
        status,
        headers: kept,
        body,
        etag: typeof etag === 'string' ? etag : undefined,
        storedAt: arrivedAt,
      };
      let stored = false;
      if (storable) stored = cache.store(token, entry, reservation);
      else {
        cache.release(reservation);
        cache.abandon(token);
      }
      settle({ kind: 'complete', response: entry });
      return {
        kind: 'memory',
        response: entry,
        xCache: 'MISS',
        cacheStatus: `${STATUS_PREFIX}; fwd=${fwd}${stored ? '; stored' : ''}`,
      };
    }

    // Streams through at the first client's pace: nothing to share, so the others go upstream now.
    cache.abandon(token);
    settle({ kind: 'refetch' });
    if (leaderGone.aborted) {
      response.body.destroy();
      return { kind: 'client-gone' };
    }
    const stop = () => response.body.destroy();
    leaderGone.addEventListener('abort', stop, { once: true });
    response.body.once('close', () => leaderGone.removeEventListener('abort', stop));
    return this.streamed(response, 'MISS', `${STATUS_PREFIX}; fwd=${fwd}`);
  }

  private async passThrough(request: UpstreamRequest, xCache: XCache, cacheStatus: string): Promise<Answer> {
    const result = await this.options.upstream.send(request);
    if (result.kind !== 'answered') return result;
    return this.streamed(result.response, xCache, cacheStatus);
  }

  private streamed(
    response: UpstreamResponse,
    xCache: XCache | undefined,
    cacheStatus: string | undefined,
  ): Answer {
    return {
      kind: 'stream',
      status: response.statusCode,
      headers: response.headers,
      body: response.body,
      xCache,
      cacheStatus,
      upstreamCloses: saysClose(response.headers.connection),
    };
  }
}

/** A Content-Length header's value as a byte count, or undefined when absent or not one number. */
function contentLengthOf(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

function saysClose(value: string | string[] | undefined): boolean {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return text.split(',').some((token) => token.trim().toLowerCase() === 'close');
}

/** The whole body, into one Buffer of its declared length (no chunk list, no concat copy). */
async function readWhole(body: Readable, length: number): Promise<Buffer> {
  const whole = Buffer.allocUnsafeSlow(length);
  let at = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (at + chunk.length > length)
      throw new Error(`upstream sent more than its Content-Length of ${length}`);
    chunk.copy(whole, at);
    at += chunk.length;
  }
  if (at !== length) throw new Error(`upstream sent ${at} of its Content-Length of ${length} bytes`);
  return whole;
}
