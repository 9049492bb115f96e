// Counters and histograms for the request path that find their series by label values through
// nested Maps. prom-client's own `inc({labels})` / `observe({labels})` (and its `.labels()`
// children, which call them) sort and join the label object into a hash string on every call: nine
// calls per chat request, ~3-5 % of the daemon's CPU per request. These register in a prom-client
// Registry like its own metrics and hand it the same value shapes, so the /metrics text is the
// same byte for byte. A series lives as long as the metric, as in prom-client; label values here
// are finite (route patterns, methods, statuses, configured models, strategies).
import type client from 'prom-client';

type Labels = Record<string, string>;

interface CounterSeries {
  labels: Labels;
  value: number;
}

interface HistogramSeries {
  labels: Labels;
  /** Observations per upper bound (not cumulative); values above the last bound only count. */
  buckets: number[];
  sum: number;
  count: number;
}

/** One level per label name; the last level holds the series. */
type Level<S> = Map<string, Level<S> | S>;

/** The value shape prom-client's Registry formats (`metricName` defaults to the metric's name). */
interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels?: Labels;
  value: number;
  metricName?: string;
  exemplar?: null | undefined;
}

abstract class LabelledMetric<S extends { labels: Labels }> {
  readonly aggregator = 'sum';
  /** Every series in the order it first appeared: the order prom-client exports them in. */
  protected readonly all: S[] = [];
  private readonly root: Level<S> = new Map();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    registry: client.Registry,
  ) {
    // The Registry only needs name, help, type and get(); see the class comment.
    registry.registerMetric(this as unknown as client.Metric);
  }

  protected abstract create(labels: Labels): S;

  /** The series for these label values (one per label name, in `labelNames` order). */
  protected find(values: readonly string[]): S {
    let level = this.root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      const value = values[i]!;
      let next = level.get(value) as Level<S> | undefined;
      if (!next) {
        next = new Map();
        level.set(value, next);
      }
      level = next;
    }
    const value = values[last]!;
    let series = level.get(value) as S | undefined;
    if (!series) {
      const labels: Labels = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]!));
      series = this.create(labels);
      level.set(value, series);
      this.all.push(series);
    }
    return series;
  }
}

export class LabelledCounter extends LabelledMetric<CounterSeries> {
  readonly type = 'counter';

  protected create(labels: Labels): CounterSeries {
    return { labels, value: 0 };
  }

  /** Adds `amount` (default 1) to the series of these label values. */
  inc(values: readonly string[], amount = 1): void {
    // prom-client's checks, so a bad value fails (or, NaN, passes) the same way.
    if (amount && !Number.isFinite(amount)) throw new TypeError(`Value is not a valid number: ${String(amount)}`);
    if (amount < 0) throw new Error('It is not possible to decrease a counter');
    this.find(values).value += amount;
  }

  get(): Promise<{ name: string; help: string; type: string; values: ExportedValue[]; aggregator: string }> {
    const values = this.all.map((s) => ({ labels: { ...s.labels }, value: s.value }));
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }
}

export class LabelledHistogram extends LabelledMetric<HistogramSeries> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly upperBounds: readonly number[],
    registry: client.Registry,
  ) {
    super(name, help, labelNames, registry);
  }

  protected create(labels: Labels): HistogramSeries {
    return { labels, buckets: this.upperBounds.map(() => 0), sum: 0, count: 0 };
  }

  observe(values: readonly string[], value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${String(value)}`);
    const series = this.find(values);
    series.sum += value;
    series.count += 1;
    const bound = this.upperBounds.findIndex((upper) => value <= upper);
    if (bound !== -1) series.buckets[bound]! += 1;
  }

  /** What the Registry formats for the text exposition: prom-client's Histogram shape. */
  getForPromString(): Promise<{
    name: string;
    help: string;
    type: string;
    values: ExportedValue[];
    aggregator: string;
  }> {
    const bucket = `${this.name}_bucket`;
    const values: ExportedValue[] = [];
    for (const series of this.all) {
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += series.buckets[i]!;
        values.push({
          labels: { le },
          sharedLabels: series.labels,
          value: cumulative,
          metricName: bucket,
          exemplar: null,
        });
      });
      values.push(
        {
          labels: { le: '+Inf' },
          sharedLabels: series.labels,
          value: series.count,
          metricName: bucket,
          exemplar: null,
        },
        {
          labels: {},
          sharedLabels: series.labels,
          value: series.sum,
          metricName: `${this.name}_sum`,
          exemplar: undefined,
        },
        {
          labels: {},
          sharedLabels: series.labels,
          value: series.count,
          metricName: `${this.name}_count`,
          exemplar: undefined,
        },
      );
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** The JSON form (`Registry.getMetricsAsJSON`): the shared labels merged into each value's. */
  async get(): Promise<{ name: string; help: string; type: string; values: ExportedValue[]; aggregator: string }> {
    const data = await this.getForPromString();
    data.values = data.values.map(({ labels, sharedLabels, ...rest }) => ({
      ...rest,
      labels: { ...labels, ...sharedLabels },
    }));
    return data;
  }
}
