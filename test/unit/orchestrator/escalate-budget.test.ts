import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Budget, BudgetExceeded, resolveLimits } from '../../../daemon/orchestrator/budget';
import { shouldEscalate } from '../../../daemon/orchestrator/escalate';

const verdict = (predictedQuality?: number, abstain = false) => ({ strategy: 'learned', abstain, predictedQuality });

test('escalation is off unless auto_escalate_below is configured', () => {
  assert.equal(
    shouldEscalate(undefined, { requestedModel: 'auto', verdict: verdict(0.1), poolSize: 3 }).escalate,
    false,
  );
  assert.equal(shouldEscalate({}, { requestedModel: 'auto', verdict: verdict(0.1), poolSize: 3 }).escalate, false);
});

test('escalates only when the predicted quality of every single model is below the threshold', () => {
  const cfg = { auto_escalate_below: 0.6 };
  const low = shouldEscalate(cfg, { requestedModel: 'auto', verdict: verdict(0.4), poolSize: 3 });
  assert.deepEqual(low, {
    escalate: true,
    reason: 'learned predicts at most 0.40 for any single model, below auto_escalate_below 0.60',
  });
  // The top pick trades quality for cost; a better model in the pool means no escalation.
  assert.equal(
    shouldEscalate(cfg, { requestedModel: 'auto', verdict: verdict(0.4), bestPredictedQuality: 0.7, poolSize: 3 })
      .escalate,
    false,
  );
  assert.equal(shouldEscalate(cfg, { requestedModel: 'auto:cost', verdict: verdict(0.4), poolSize: 3 }).escalate, true);
});

test('no escalation without a prediction, for a forced model, a one-model pool or an abstaining strategy', () => {
  const cfg = { auto_escalate_below: 0.6 };
  assert.match(
    shouldEscalate(cfg, { requestedModel: 'auto', verdict: verdict(undefined), poolSize: 3 }).reason,
    /does not predict/,
  );
  assert.match(
    shouldEscalate(cfg, { requestedModel: 'gpt-4o', verdict: verdict(0.1), poolSize: 3 }).reason,
    /explicitly/,
  );
  assert.match(
    shouldEscalate(cfg, { requestedModel: 'auto', verdict: verdict(0.1), poolSize: 1 }).reason,
    /single model/,
  );
  assert.match(
    shouldEscalate(cfg, { requestedModel: 'auto', verdict: verdict(0.1, true), poolSize: 3 }).reason,
    /abstained/,
  );
});

test('the budget books estimates of running calls and refuses the call that would pass max_cost_usd', () => {
  const budget = new Budget(resolveLimits({ max_cost_usd: 0.1 }));
  const settleA = budget.reserve('a', 0.04);
  const settleB = budget.reserve('b', 0.04);
  assert.throws(
    () => budget.reserve('c', 0.04),
    (err: unknown) => {
      assert.ok(err instanceof BudgetExceeded);
      assert.match(err.message, /max_cost_usd \$0\.1000 would be passed by c \(\$0\.0000 spent, \$0\.0800 running/);
      return true;
    },
  );
  settleA(0.03);
  settleA(0.03); // settling twice counts once
  settleB(0.05);
  assert.ok(Math.abs(budget.costUsd - 0.08) < 1e-12);
  // Once a limit is hit the run is over: every later booking is refused with the first message.
  assert.throws(() => budget.reserve('d', 0), /would be passed by c/);
});

test('unset limits take the documented defaults', () => {
  assert.deepEqual(resolveLimits(undefined), { max_subtasks: 5, max_parallel: 3, max_seconds: 180, max_cost_usd: 0.5 });
  assert.equal(resolveLimits({ max_parallel: 1 }).max_parallel, 1);
});

test('a run that spends exactly max_cost_usd is not stopped by rounding', () => {
  // $0.10 spent and a $0.20 step under a $0.30 limit: 0.1 + 0.2 is 0.30000000000000004 in binary
  // floating point, which refused the step that brings the run exactly to its limit.
  const budget = new Budget(resolveLimits({ max_cost_usd: 0.3 }));
  budget.reserve('plan', 0.1)(0.1);
  const settle = budget.reserve('synthesis', 0.2);
  settle(0.2);
  assert.equal(budget.exceeded, undefined);
  // A step that really passes the limit is still refused, by however little.
  assert.throws(() => budget.reserve('one more', 0.000001), BudgetExceeded);
});
