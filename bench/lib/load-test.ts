// A thin wrapper around autocannon that returns the handful of numbers the scenarios report.
//
// Latency percentiles are computed from every 2xx response time autocannon measures (float milliseconds from
// process.hrtime), not from autocannon's own histogram, which rounds to whole milliseconds — too coarse for a
// local hello route whose p99 is well under a millisecond.
import autocannon from 'autocannon';
import { alternate, type Side } from './rounds.js';
import { runWrk } from './wrk.js';

export interface LoadTestOptions {
  url: string;
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Concurrent connections (default 10). */
  connections?: number;
  /** Pipelined requests per connection (default 1: no pipelining, like real clients). */
  pipelining?: number;
  durationSeconds: number;
  /** An unmeasured run against the same target first, so the server's JIT is warm (default 0). */
  warmupSeconds?: number;
  /** Per-request timeout in seconds (default 10). */
  timeoutSeconds?: number;
  /**
   * Send each request to a path of its own, `<url>-<n>` (n counting up from 0 in each run): writes then create
   * distinct resources, as real writers do, instead of overwriting one.
   */
  uniquePaths?: boolean;
  /**
   * Spread requests over many keys, as real traffic is: in each request, every occurrence of `token` (letters,
   * digits and underscores) in the path and the body becomes a random integer from 0 to `below` - 1.
   */
  randomKey?: { token: string; below: number };
  /** The load generator: autocannon (default), or wrk for large bodies (see wrk.ts; check wrkPath() first). */
  client?: 'autocannon' | 'wrk';
}

export interface LoadTestResult {
  /** Completed 2xx responses per second of measured time. */
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Responses that were not 2xx (they are not counted in requestsPerSecond nor in the latencies). */
  non2xx: number;
  /** Connection errors, including timeouts. */
  errors: number;
  timeouts: number;
  /** Completed 2xx responses. */
  requests: number;
  /** req/s of each round (one entry for loadTest): a wide spread means a noisy machine. */
  roundsRequestsPerSecond: number[];
  durationSeconds: number;
  /** `false` when any error or non-2xx answer happened: the numbers then do not describe a healthy run. */
  clean: boolean;
  /** A one-line description of what went wrong, when `clean` is false. */
  problem?: string;
}

/** Growable Float64Array: cheap per-response recording even at 100k+ samples. */
class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  values(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** What one run of a load client leaves behind, before it is summarised (runs of one target can be merged). */
export interface RawRun {
  latencies: Float64Array;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  statusCodes: Record<string, number>;
}

/** One side of a load: the request, the connections and the client. */
export type Target = Omit<LoadTestOptions, 'durationSeconds' | 'warmupSeconds'>;

/** autocannon's per-request hook that gives each request the path `<url path>-<n>`. */
function uniquePathRequests(url: string): autocannon.Request[] {
  const basePath = new URL(url).pathname;
  let next = 0;
  return [{ setupRequest: (request) => ({ ...request, path: `${basePath}-${next++}` }) }];
}

/** autocannon's per-request hook for `randomKey`. */
function randomKeyRequests(
  { url, body }: Target,
  { token, below }: { token: string; below: number },
): autocannon.Request[] {
  const { pathname, search } = new URL(url);
  const path = pathname + search;
  const text = body === undefined ? undefined : String(body);
  return [
    {
      setupRequest: (request) => {
        const key = String(Math.floor(Math.random() * below));
        return {
          ...request,
          path: path.replaceAll(token, key),
          ...(text === undefined ? {} : { body: text.replaceAll(token, key) }),
        };
      },
    },
  ];
}

function runOnce(options: Target, durationSeconds: number): Promise<RawRun> {
  if (options.client === 'wrk') return runWrk(options, durationSeconds);
  const samples = new Samples();
  return new Promise<RawRun>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        method: options.method ?? 'GET',
        ...(options.body === undefined ? {} : { body: options.body }),
        headers: options.headers ?? {},
        connections: options.connections ?? 10,
        pipelining: options.pipelining ?? 1,
        duration: durationSeconds,
        timeout: options.timeoutSeconds ?? 10,
        // autocannon only notices the end of the duration at its next sample tick (default every 1 s), so a
        // 2.5 s run would last 3 s; sampling every 100 ms ends runs on time. (Throughput is computed from the
        // measured duration either way.)
        sampleInt: 100,
        ...(options.uniquePaths ? { requests: uniquePathRequests(options.url) } : {}),
        ...(options.randomKey ? { requests: randomKeyRequests(options, options.randomKey) } : {}),
      },
      (err: unknown, result: autocannon.Result) => {
        if (err) {
          reject(err instanceof Error ? err : new Error('autocannon failed', { cause: err }));
          return;
        }
        const statusCodes: Record<string, number> = {};
        for (const [code, stat] of Object.entries(result.statusCodeStats ?? {}))
          statusCodes[code] = stat.count ?? 0;
        resolve({
          latencies: samples.values(),
          ok: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          seconds: result.duration > 0 ? result.duration : durationSeconds,
          statusCodes,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) samples.push(responseTime);
    });
  });
}

function summarize(target: Target, runs: RawRun[]): LoadTestResult {
  const total = runs.reduce((sum, run) => sum + run.latencies.length, 0);
  const all = new Float64Array(total);
  let offset = 0;
  for (const run of runs) {
    all.set(run.latencies, offset);
    offset += run.latencies.length;
  }
  all.sort();
  const sum = (pick: (run: RawRun) => number) => runs.reduce((acc, run) => acc + pick(run), 0);
  const ok = sum((run) => run.ok);
  const non2xx = sum((run) => run.non2xx);
  const errors = sum((run) => run.errors);
  const timeouts = sum((run) => run.timeouts);
  const seconds = sum((run) => run.seconds);

  const problems: string[] = [];
  if (errors > 0) problems.push(`${errors} connection errors (${timeouts} timeouts)`);
  if (non2xx > 0) {
    const codes = new Map<string, number>();
    for (const run of runs) {
      for (const [code, count] of Object.entries(run.statusCodes)) {
        if (!code.startsWith('2')) codes.set(code, (codes.get(code) ?? 0) + count);
      }
    }
    const list = [...codes].map(([code, count]) => `${code}×${count}`).join(', ');
    problems.push(`${non2xx} non-2xx responses${list ? ` (${list})` : ''}`);
  }
  if (ok === 0) problems.push('no successful response');
  return {
    requestsPerSecond: ok / seconds,
    p50Ms: percentile(all, 50),
    p90Ms: percentile(all, 90),
    p95Ms: percentile(all, 95),
    p99Ms: percentile(all, 99),
    non2xx,
    errors,
    timeouts,
    requests: ok,
    roundsRequestsPerSecond: runs.map((run) => run.ok / run.seconds),
    durationSeconds: seconds,
    clean: problems.length === 0,
    ...(problems.length > 0
      ? { problem: `${target.method ?? 'GET'} ${target.url}: ${problems.join('; ')}` }
      : {}),
  };
}

export async function loadTest(options: LoadTestOptions): Promise<LoadTestResult> {
  if (!(options.durationSeconds > 0)) throw new Error('loadTest: durationSeconds must be > 0');
  if (options.warmupSeconds !== undefined && options.warmupSeconds > 0)
    await runOnce(options, options.warmupSeconds);
  return summarize(options, [await runOnce(options, options.durationSeconds)]);
}

export interface CompareLoadOptions {
  /** Names the case in warnings (e.g. "GET /hello"). */
  label?: string;
  /** The project's request (url, method, body, headers, connections …). */
  project: Target;
  /** The baseline's request, measured in the same run. */
  baseline: Target;
  /** Measured seconds per side, split over the rounds. */
  durationSeconds: number;
  /** Alternating rounds (default 4), see alternate(). */
  rounds?: number;
  /** Unmeasured warm-up per side before the first round (default 0). */
  warmupSeconds?: number;
}

/** Loads two targets in alternating rounds (see alternate()); each side gets `durationSeconds` of measured time. */
export async function compareLoad(options: CompareLoadOptions): Promise<Record<Side, LoadTestResult>> {
  const rounds = Math.max(1, Math.floor(options.rounds ?? 4));
  if (!(options.durationSeconds > 0)) throw new Error('compareLoad: durationSeconds must be > 0');
  const slice = options.durationSeconds / rounds;
  if (options.warmupSeconds !== undefined && options.warmupSeconds > 0) {
    await runOnce(options.baseline, options.warmupSeconds);
    await runOnce(options.project, options.warmupSeconds);
  }
  const runs = await alternate(rounds, (side) => runOnce(options[side], slice));
  return {
    project: summarize(options.project, runs.project),
    baseline: summarize(options.baseline, runs.baseline),
  };
}
