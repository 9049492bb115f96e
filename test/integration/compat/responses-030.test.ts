// Fugusashi 0.3.0's response fields, read the way a 0.3.0 client reads them, against a real daemon
// on a real port: each endpoint answers today's shape plus 0.3.0's field names.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;
let requestId = '';

async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${d.url}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `${method} ${path}: ${text}`);
  return JSON.parse(text);
}

before(async () => {
  d = await startTestDaemon({ config: { default_model: 'model-a', routing: { prefer_local: false } }, rpc: false });
  const completion = await call('POST', '/v1/chat/completions', {
    model: 'auto',
    messages: [{ role: 'user', content: 'Say hello' }],
  });
  requestId = completion.id;
});
after(async () => d.close());

test('decisions rows carry routed_to, timestamp and the routing fields at top level', async () => {
  const list = await call('GET', '/v1/routing/decisions?limit=20');
  const row = list.data.find((r: any) => r.request_id === requestId);
  assert.ok(row, 'the request is listed');
  assert.equal(row.routed_to, row.answered_by);
  assert.match(row.routed_to, /^model-[ab]$/);
  assert.equal(new Date(row.timestamp).getTime(), row.created_at);
  assert.equal(row.confidence, row.decision.confidence);
  assert.equal(row.strategy, row.decision.strategy);
  assert.equal(row.explanation, row.decision.explanation);
  assert.equal(typeof row.prompt_preview, 'string');
});

test('training import answers status and indexed (and still added)', async () => {
  const answer = await call('POST', '/v1/routing/training', [
    { prompt: 'Write Python code', model: 'model-a', score: 0.95 },
    { prompt: 'Write a poem', model: 'model-b', score: 0.9 },
  ]);
  assert.deepEqual(answer, { added: 2, already_imported: 0, status: 'ok', indexed: 2 });
});

test('rate answers status ok with the rating', async () => {
  const answer = await call('POST', '/v1/feedback/rate', { request_id: requestId, rating: 5 });
  assert.equal(answer.status, 'ok');
  assert.equal(answer.rating, 5);
  assert.equal(answer.stored, true);
});

test('retrain answers status and retrained_on', async () => {
  const answer = await call('POST', '/v1/feedback/retrain');
  assert.equal(answer.status, 'ok');
  assert.equal(typeof answer.retrained_on, 'number');
  assert.ok(answer.retrained_on >= 2, `retrained_on ${answer.retrained_on}`);
  assert.equal(typeof answer.started, 'boolean');
});

test('stats has total_requests, total_cost, total_tokens and recent_routes', async () => {
  const stats = await call('GET', '/v1/stats');
  assert.equal(stats.total_requests, stats.requests);
  assert.ok(stats.total_requests >= 1);
  assert.equal(stats.total_cost, stats.cost_usd);
  assert.equal(stats.total_tokens, stats.prompt_tokens + stats.completion_tokens);
  assert.ok(stats.total_tokens > 0);
  const route = stats.recent_routes.at(-1);
  // 0.3.0's clients index per_model by model name: stats["per_model"]["gpt-4o"]["calls"].
  const listed = stats.models.find((m: { model: string }) => m.model === route.routed_to);
  assert.deepEqual(stats.per_model[route.routed_to], {
    calls: listed.requests,
    total_cost: listed.cost_usd,
    total_tokens: listed.prompt_tokens + listed.completion_tokens,
  });
  assert.ok(listed.requests >= 1);
  assert.equal(route.request_id, requestId);
  assert.match(route.routed_to, /^model-[ab]$/);
  assert.equal(typeof route.timestamp, 'string');
  assert.equal(typeof route.model_scores[route.routed_to], 'number');
  assert.equal(route.needs_escalation, false);
});

test('feedback stats and rankings carry 0.3.0 names', async () => {
  const stats = await call('GET', '/v1/feedback/stats');
  assert.ok(stats.total_outcomes >= 1);
  assert.equal(stats.errors, 0);
  assert.equal(stats.error_rate, 0);
  assert.equal(stats.rated_count, 1);
  assert.equal(stats.avg_user_rating, 5);
  assert.equal(typeof stats.avg_latency_ms, 'number');
  assert.equal(typeof stats.outcomes, 'number', "today's fields stay");

  const rankings = await call('GET', '/v1/feedback/rankings');
  assert.equal(rankings.object, 'list');
  const rated = rankings.data.find((r: any) => r.rating_count === 1);
  assert.ok(rated, JSON.stringify(rankings));
  assert.equal(rated.avg_rating, 5);
  assert.equal(rated.wins, 1);
  assert.equal(rated.losses, 0);
  // 0.3.0 answered a map keyed by model name.
  assert.deepEqual(rankings[rated.model], {
    wins: 1,
    losses: 0,
    win_rate: 1,
    total_cost: rated.total_cost,
    avg_rating: 5,
    rating_count: 1,
  });
  assert.deepEqual(stats.model_rankings[rated.model], rankings[rated.model]);
});

test('trace carries start_time, routing and model_calls', async () => {
  const trace = await call('GET', `/v1/trace/${requestId}`);
  assert.equal(trace.request_id, requestId);
  assert.equal(new Date(trace.start_time).getTime(), trace.created_at);
  assert.equal(typeof trace.end_time, 'string');
  assert.equal(trace.total_cost, trace.cost_usd);
  assert.equal(trace.total_latency_ms, trace.latency_ms);
  assert.equal(trace.routing.request_id, requestId);
  assert.equal(trace.routing.routed_to, trace.answered_by);
  assert.equal(trace.model_calls.length, 1);
  const call0 = trace.model_calls[0];
  assert.equal(call0.model, trace.answered_by);
  assert.equal(call0.status, 'success');
  assert.equal(call0.total_tokens, trace.usage.total_tokens);
  assert.equal(call0.error, null);
});

test('a chat request without model is routed as auto, as 0.3.0 defaulted it', async () => {
  // Before: 400 "'model' must have required properties model".
  const answer = await call('POST', '/v1/chat/completions', { messages: [{ role: 'user', content: 'Say hello' }] });
  assert.match(answer.model, /^model-[ab]$/);
  assert.notEqual(answer.routing_decision.strategy, 'override');
  const decisions = await call('GET', '/v1/routing/decisions?limit=1');
  assert.equal(decisions.data[0].requested_model, 'auto');
});
