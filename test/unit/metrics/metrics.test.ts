// The daemon's Prometheus metrics: the request and model series, and Node's process metrics, which
// start with the first scrape (watching GC and the event loop costs every request otherwise).
import assert from 'node:assert/strict';
import { test } from 'node:test';
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
