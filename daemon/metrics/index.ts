// Prometheus metrics (prom-client) for GET /metrics: HTTP requests and latency per route, and per
// model the requests, errors, tokens, cost and upstream latency, plus decisions per strategy. Each
// daemon has its own registry (tests run several daemons in one process).
import client from 'prom-client';
import type { LiveEvent } from '../../shared/api';
import { LabelledCounter, LabelledHistogram } from './series';

export interface DaemonMetrics {
  registry: client.Registry;
  /** One HTTP exchange finished. */
  http(method: string, route: string, status: number, seconds: number): void;
  /** A live event from the services (a decision row is one model request). */
  event(event: LiveEvent): void;
  /** Text exposition format. */
  text(): Promise<string>;
  contentType: string;
}

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(options: { collectDefault?: boolean } = {}): DaemonMetrics {
  const registry = new client.Registry();
  // Node's process metrics (CPU, memory, event-loop lag, GC) start at the first scrape: collecting
  // them watches every GC and samples the event loop all the time (1 % of a request's CPU in
  // `bench:gateway`), work nobody reads until something scrapes /metrics.
  let defaultsStarted = options.collectDefault === false;
  const startDefaults = (): void => {
    if (defaultsStarted) return;
    defaultsStarted = true;
    client.collectDefaultMetrics({ register: registry, prefix: 'fugusashi_' });
  };
  const httpRequests = new LabelledCounter(
    'fugusashi_http_requests_total',
    'HTTP requests by method, route and status',
    ['method', 'route', 'status'],
    registry,
  );
  const httpLatency = new LabelledHistogram(
    'fugusashi_http_request_duration_seconds',
    'HTTP request duration by route',
    ['method', 'route'],
    LATENCY_BUCKETS,
    registry,
  );
  const modelRequests = new LabelledCounter(
    'fugusashi_model_requests_total',
    'Recorded model requests by answering model and status',
    ['model', 'status'],
    registry,
  );
  const modelErrors = new LabelledCounter(
    'fugusashi_model_errors_total',
    'Failed model requests by routed model',
    ['model'],
    registry,
  );
  const tokens = new LabelledCounter(
    'fugusashi_tokens_total',
    'Tokens by model and kind (prompt, completion)',
    ['model', 'kind'],
    registry,
  );
  const cost = new LabelledCounter('fugusashi_cost_usd_total', 'Spend in US dollars by model', ['model'], registry);
  const modelLatency = new LabelledHistogram(
    'fugusashi_model_request_duration_seconds',
    'Model request duration (routing + upstream) by model',
    ['model'],
    LATENCY_BUCKETS,
    registry,
  );
  const decisions = new LabelledCounter(
    'fugusashi_routing_decisions_total',
    'Routing decisions by strategy',
    ['strategy'],
    registry,
  );
  return {
    registry,
    contentType: registry.contentType,
    http(method, route, status, seconds) {
      httpRequests.inc([method, route, String(status)]);
      httpLatency.observe([method, route], seconds);
    },
    event(event) {
      if (event.type !== 'decision') return;
      const row = event.row;
      const model = row.answered_by ?? row.decision.model;
      decisions.inc([row.decision.strategy]);
      modelRequests.inc([model, row.status]);
      if (row.status === 'error') modelErrors.inc([model]);
      if (row.usage) {
        tokens.inc([model, 'prompt'], row.usage.prompt_tokens);
        tokens.inc([model, 'completion'], row.usage.completion_tokens);
      }
      if (row.cost_usd > 0) cost.inc([model], row.cost_usd);
      modelLatency.observe([model], row.latency_ms / 1000);
    },
    text: () => {
      startDefaults();
      return registry.metrics();
    },
  };
}
