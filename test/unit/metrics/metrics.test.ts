// The daemon's Prometheus metrics: the request and model series, and Node's process metrics, which
// start with the first scrape (watching GC and the event loop costs every request otherwise).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import client from 'prom-client';
import { createMetrics } from '../../../daemon/metrics';

test('request, model and decision series, and process metrics from the first scrape on', async () => {
  const metrics = createMetrics();
  metrics.http('POST', '/v1/chat/completions', 200, 0.002);
  metrics.event({
    type: 'decision',
    row: {
      request_id: 'fugu-1',
      created_at: 0,
      source: 'http',
      requested_model: 'auto',
      prompt_preview: 'hi',
      decision: {
        model: 'cheap',
        confidence: 1,
        strategy: 'cost',
        latency_ms: 1,
        explanation: '',
        alternatives: [],
        estimated_cost: 0,
      },
      status: 'ok',
      answered_by: 'cheap',
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
      cost_usd: 0.5,
      latency_ms: 20,
      rating: null,
    },
  });
  const text = await metrics.text();
  assert.match(text, /fugusashi_http_requests_total\{method="POST",route="\/v1\/chat\/completions",status="200"\} 1/);
  assert.match(text, /fugusashi_tokens_total\{model="cheap",kind="completion"\} 4/);
  assert.match(text, /fugusashi_cost_usd_total\{model="cheap"\} 0.5/);
  assert.match(text, /fugusashi_routing_decisions_total\{strategy="cost"\} 1/);
  assert.match(text, /fugusashi_process_cpu_user_seconds_total/);
  assert.match(text, /fugusashi_nodejs_heap_size_used_bytes/);
});

test('collectDefault: false leaves the process metrics out', async () => {
  const text = await createMetrics({ collectDefault: false }).text();
  assert.doesNotMatch(text, /fugusashi_process_cpu_user_seconds_total/);
  assert.match(text, /fugusashi_http_requests_total/);
});

test('the /metrics text is the one prom-client wrote for the same calls (its own Counter and Histogram)', async () => {
  // The series used to be prom-client's Counter/Histogram; this is that code, fed the same calls.
  const registry = new client.Registry();
  const buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
  const counter = (name: string, help: string, labelNames: string[]): client.Counter =>
    new client.Counter({ name, help, labelNames, registers: [registry] });
  const histogram = (name: string, help: string, labelNames: string[]): client.Histogram =>
    new client.Histogram({ name, help, labelNames, buckets, registers: [registry] });
  const httpRequests = counter('fugusashi_http_requests_total', 'HTTP requests by method, route and status', [
    'method',
    'route',
    'status',
  ]);
  const httpLatency = histogram('fugusashi_http_request_duration_seconds', 'HTTP request duration by route', [
    'method',
    'route',
  ]);
  const modelRequests = counter(
    'fugusashi_model_requests_total',
    'Recorded model requests by answering model and status',
    ['model', 'status'],
  );
  const modelErrors = counter('fugusashi_model_errors_total', 'Failed model requests by routed model', ['model']);
  const tokens = counter('fugusashi_tokens_total', 'Tokens by model and kind (prompt, completion)', ['model', 'kind']);
  const cost = counter('fugusashi_cost_usd_total', 'Spend in US dollars by model', ['model']);
  const modelLatency = histogram(
    'fugusashi_model_request_duration_seconds',
    'Model request duration (routing + upstream) by model',
    ['model'],
  );
  const decisions = counter('fugusashi_routing_decisions_total', 'Routing decisions by strategy', ['strategy']);

  const metrics = createMetrics({ collectDefault: false });
  const calls: [string, string, number, number][] = [
    ['POST', '/v1/chat/completions', 200, 0.0021],
    ['GET', '/health', 200, 0.0004],
    ['POST', '/v1/chat/completions', 502, 0.31],
    ['POST', '/v1/chat/completions', 200, 75],
    ['GET', 'unmatched', 404, 0.01],
    ['POST', '/v1/chat/completions', 200, 0.1],
  ];
  for (const [method, route, status, seconds] of calls) {
    metrics.http(method, route, status, seconds);
    httpRequests.inc({ method, route, status: String(status) });
    httpLatency.observe({ method, route }, seconds);
  }
  const rows: {
    model: string;
    answered: string | null;
    status: 'ok' | 'error';
    strategy: string;
    cost: number;
    ms: number;
  }[] = [
    { model: 'cheap', answered: 'cheap', status: 'ok', strategy: 'cost', cost: 0.5, ms: 20 },
    { model: 'big', answered: null, status: 'error', strategy: 'forced', cost: 0, ms: 3000 },
    { model: 'cheap', answered: 'big', status: 'ok', strategy: 'cost', cost: 0.1 + 0.2, ms: 0.3 },
    { model: 'cheap', answered: 'cheap', status: 'ok', strategy: 'cost', cost: 0.25, ms: 125_000 },
  ];
  for (const r of rows) {
    metrics.event({
      type: 'decision',
      row: {
        request_id: 'fugu-1',
        created_at: 0,
        source: 'http',
        requested_model: 'auto',
        prompt_preview: 'hi',
        decision: {
          model: r.model,
          confidence: 1,
          strategy: r.strategy,
          latency_ms: 1,
          explanation: '',
          alternatives: [],
          estimated_cost: 0,
        },
        status: r.status,
        answered_by: r.answered,
        usage: r.status === 'ok' ? { prompt_tokens: 3, completion_tokens: 0, total_tokens: 3 } : null,
        cost_usd: r.cost,
        latency_ms: r.ms,
        rating: null,
      },
    });
    const model = r.answered ?? r.model;
    decisions.inc({ strategy: r.strategy });
    modelRequests.inc({ model, status: r.status });
    if (r.status === 'error') modelErrors.inc({ model });
    if (r.status === 'ok') {
      tokens.inc({ model, kind: 'prompt' }, 3);
      tokens.inc({ model, kind: 'completion' }, 0);
    }
    if (r.cost > 0) cost.inc({ model }, r.cost);
    modelLatency.observe({ model }, r.ms / 1000);
  }
  const ours = await metrics.text();
  assert.equal(ours, await registry.metrics());
  assert.match(ours, /fugusashi_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/health"\} 1/);
  assert.match(ours, /fugusashi_tokens_total\{model="cheap",kind="completion"\} 0/);
  // The JSON form agrees too (labels merged into each value, as prom-client gives them).
  assert.deepEqual(await metrics.registry.getMetricsAsJSON(), await registry.getMetricsAsJSON());
});
