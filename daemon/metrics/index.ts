// Prometheus metrics (prom-client) for GET /metrics: HTTP requests and latency per route, and per
// model the requests, errors, tokens, cost and upstream latency, plus decisions per strategy. Each
// daemon has its own registry (tests run several daemons in one process).
import client from 'prom-client';
import type { LiveEvent } from '../../shared/api';

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
  const httpRequests = new client.Counter({
    name: 'fugusashi_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const httpLatency = new client.Histogram({
    name: 'fugusashi_http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['method', 'route'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const modelRequests = new client.Counter({
    name: 'fugusashi_model_requests_total',
    help: 'Recorded model requests by answering model and status',
    labelNames: ['model', 'status'],
    registers: [registry],
  });
  const modelErrors = new client.Counter({
    name: 'fugusashi_model_errors_total',
    help: 'Failed model requests by routed model',
    labelNames: ['model'],
    registers: [registry],
  });
  const tokens = new client.Counter({
    name: 'fugusashi_tokens_total',
    help: 'Tokens by model and kind (prompt, completion)',
    labelNames: ['model', 'kind'],
    registers: [registry],
  });
  const cost = new client.Counter({
    name: 'fugusashi_cost_usd_total',
    help: 'Spend in US dollars by model',
    labelNames: ['model'],
    registers: [registry],
  });
  const modelLatency = new client.Histogram({
    name: 'fugusashi_model_request_duration_seconds',
    help: 'Model request duration (routing + upstream) by model',
    labelNames: ['model'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const decisions = new client.Counter({
    name: 'fugusashi_routing_decisions_total',
    help: 'Routing decisions by strategy',
    labelNames: ['strategy'],
    registers: [registry],
  });
  return {
    registry,
    contentType: registry.contentType,
    http(method, route, status, seconds) {
      httpRequests.inc({ method, route, status: String(status) });
      httpLatency.observe({ method, route }, seconds);
    },
    event(event) {
      if (event.type !== 'decision') return;
      const row = event.row;
      const model = row.answered_by ?? row.decision.model;
      decisions.inc({ strategy: row.decision.strategy });
      modelRequests.inc({ model, status: row.status });
      if (row.status === 'error') modelErrors.inc({ model });
      if (row.usage) {
        tokens.inc({ model, kind: 'prompt' }, row.usage.prompt_tokens);
        tokens.inc({ model, kind: 'completion' }, row.usage.completion_tokens);
      }
      if (row.cost_usd > 0) cost.inc({ model }, row.cost_usd);
      modelLatency.observe({ model }, row.latency_ms / 1000);
    },
    text: () => {
      startDefaults();
      return registry.metrics();
    },
  };
}
