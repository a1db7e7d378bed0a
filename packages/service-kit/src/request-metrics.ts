// http_requests_total and http_request_duration_seconds, counted on the request path in plain numbers (a count,
// a sum and one slot per bucket for each method × route × status code) and handed to prom-client only when the
// registry is read. prom-client's own `inc`/`observe` validate and hash the labels on every call, even through a
// `labels()` child; here a request adds to numbers its series already holds. Guarantees: the registry prints
// exactly what prom-client's Counter and Histogram would print for the same observations in the same order —
// same names, HELP and TYPE lines, label sets in the order they were first seen, default buckets, cumulative
// bucket counts, the same floating-point sum (added in the same order) — in text and in getMetricsAsJSON.
import {
  Counter,
  Histogram,
  type MetricObjectWithValues,
  type MetricValueWithName,
  type Registry,
} from 'prom-client';

type Label = 'method' | 'route' | 'status_code';
type Labels = Record<Label, string>;

/** prom-client's default histogram buckets, in seconds. */
const BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const REQUESTS = {
  name: 'http_requests_total',
  help: 'HTTP requests answered, by method, route template and status code',
};
const DURATION = {
  name: 'http_request_duration_seconds',
  help: 'Time to answer HTTP requests in seconds, by method, route template and status code',
};
const LABEL_NAMES: readonly Label[] = ['method', 'route', 'status_code'];

/** One label set's numbers. */
export class RequestSeries {
  count = 0;
  sum = 0;
  /** per bucket (not cumulative); a value above the last bound is only in `count`, as in prom-client */
  readonly perBucket: number[] = BUCKETS.map(() => 0);

  constructor(readonly labels: Readonly<Labels>) {}

  /** One answered request that took `seconds`. */
  observe(seconds: number): void {
    this.count += 1;
    this.sum += seconds;
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]!) {
        this.perBucket[i]! += 1;
        return;
      }
    }
  }
}

export class RequestMetrics {
  private readonly series: RequestSeries[] = [];

  constructor(registry: Registry) {
    const series = this.series;
    new Counter<Label>({
      ...REQUESTS,
      labelNames: LABEL_NAMES,
      registers: [registry],
      // Rebuilt from the series on each read, so its label sets keep the order they were first seen in.
      collect() {
        this.reset();
        for (const one of series) if (one.count > 0) this.inc(one.labels, one.count);
      },
    });
    registry.registerMetric(
      new DurationHistogram(series, {
        ...DURATION,
        labelNames: LABEL_NAMES,
        buckets: [...BUCKETS],
        registers: [],
      }),
    );
  }

  /** A new label set; the caller keeps it (one per route × method × status code). */
  seriesOf(method: string, route: string, statusCode: number): RequestSeries {
    const one = new RequestSeries({ method, route, status_code: String(statusCode) });
    this.series.push(one);
    return one;
  }
}

type Value = MetricValueWithName<Label | 'le'> & { sharedLabels: Labels; exemplar?: null };

/** What prom-client's histogram hands its registry (its typings say an enum for `type`; the runtime has text). */
interface Printed {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: Value[];
}

/** A prom-client Histogram whose values are read from the series instead of its own label map. */
class DurationHistogram extends Histogram<Label> {
  constructor(
    private readonly all: readonly RequestSeries[],
    config: ConstructorParameters<typeof Histogram<Label>>[0],
  ) {
    super(config);
  }

  /** What the registry prints (prom-client's shape: the series' labels shared by its bucket lines). */
  async getForPromString(): Promise<Printed> {
    const bucket = `${DURATION.name}_bucket`;
    const values: Value[] = [];
    for (const one of this.all) {
      if (one.count === 0) continue;
      const sharedLabels = one.labels;
      let cumulative = 0;
      for (let i = 0; i < BUCKETS.length; i++) {
        cumulative += one.perBucket[i]!;
        values.push({
          labels: { le: BUCKETS[i]! },
          sharedLabels,
          value: cumulative,
          metricName: bucket,
          exemplar: null,
        });
      }
      values.push({
        labels: { le: '+Inf' },
        sharedLabels,
        value: one.count,
        metricName: bucket,
        exemplar: null,
      });
      values.push({ labels: {}, sharedLabels, value: one.sum, metricName: `${DURATION.name}_sum` });
      values.push({ labels: {}, sharedLabels, value: one.count, metricName: `${DURATION.name}_count` });
    }
    return { ...DURATION, type: 'histogram', values, aggregator: 'sum' };
  }

  /** The JSON view (getMetricsAsJSON): each value's labels with the series' labels merged in. */
  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<Label>>> {
    const data = await this.getForPromString();
    const values = data.values.map(({ sharedLabels, labels, ...rest }) => ({
      ...rest,
      labels: { ...labels, ...sharedLabels },
    }));
    return { ...data, values } as unknown as MetricObjectWithValues<MetricValueWithName<Label>>;
  }
}
