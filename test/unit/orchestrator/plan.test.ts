import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractJson, parsePlan, planPattern, validatePlan } from '../../../daemon/orchestrator/plan';

const rules = { capabilities: ['chat', 'code', 'math', 'writing'], maxSubtasks: 4, reservedIds: ['plan', 'synthesis'] };

const valid = {
  subtasks: [
    { id: 'a', capability: 'code', instructions: 'Write a function.', depends_on: [] },
    { id: 'b', capability: 'math', instructions: 'Prove it halts.', depends_on: [] },
    { id: 'c', capability: 'writing', instructions: 'Explain a and b.', depends_on: ['a', 'b'] },
  ],
};

test('a valid plan parses unchanged with no repairs', () => {
  const r = parsePlan(JSON.stringify(valid), rules);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.plan, valid);
  assert.deepEqual(r.repairs, []);
});

test('JSON inside a code fence and prose is extracted, and the repair is reported', () => {
  const text = `Sure! Here is the plan:\n\`\`\`json\n${JSON.stringify(valid, null, 2)}\n\`\`\`\nLet me know.`;
  const r = parsePlan(text, rules);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.plan.subtasks.length, 3);
  assert.ok(r.repairs.some((x) => x.includes('extracted')));
});

test('JSON embedded in prose without a fence, with braces inside strings, is found', () => {
  const plan = { subtasks: [{ id: 'a', capability: 'code', instructions: 'Print "}{" literally', depends_on: [] }] };
  const r = parsePlan(`The plan is ${JSON.stringify(plan)} as requested.`, rules);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.plan.subtasks[0]?.instructions, 'Print "}{" literally');
});

test('trailing commas are removed', () => {
  const r = parsePlan(
    '{"subtasks": [{"id": "a", "capability": "code", "instructions": "x", "depends_on": [],},],}',
    rules,
  );
  assert.ok(r.ok, JSON.stringify(r));
  assert.ok(r.repairs.includes('removed trailing commas'));
});

test('text that holds no JSON is rejected with the parse error', () => {
  const r = extractJson('I cannot make a plan for this.');
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error : '', /not valid JSON/);
});

test('a bare list, field aliases, numeric ids, a string dependency and capability synonyms are repaired', () => {
  const r = validatePlan(
    [
      { id: 1, capability: 'Coding', task: 'Write it.' },
      { id: 2, capability: 'mathematics', instruction: 'Check it.', dependsOn: 1 },
    ],
    rules,
  );
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.plan.subtasks, [
    { id: '1', capability: 'code', instructions: 'Write it.', depends_on: [] },
    { id: '2', capability: 'math', instructions: 'Check it.', depends_on: ['1'] },
  ]);
  assert.ok(r.repairs.length >= 4, r.repairs.join('; '));
});

test('a dependency on a later sub-task is repaired by reordering when the graph is acyclic', () => {
  const r = validatePlan(
    {
      subtasks: [
        { id: 'c', capability: 'writing', instructions: 'Explain.', depends_on: ['a'] },
        { id: 'a', capability: 'code', instructions: 'Write.', depends_on: [] },
      ],
    },
    rules,
  );
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(
    r.plan.subtasks.map((s) => s.id),
    ['a', 'c'],
  );
  assert.ok(r.repairs.some((x) => x.includes('reordered')));
});

test('a cyclic plan is rejected and the cycle is named', () => {
  const r = validatePlan(
    {
      subtasks: [
        { id: 'a', capability: 'code', instructions: 'x', depends_on: ['c'] },
        { id: 'b', capability: 'code', instructions: 'y', depends_on: ['a'] },
        { id: 'c', capability: 'code', instructions: 'z', depends_on: ['b'] },
      ],
    },
    rules,
  );
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error : '', /cycle: a → c → b → a/);
});

test('self-dependency, dangling dependency and duplicate ids are rejected with a clear error', () => {
  const one = (deps: string[], id = 'a') => ({ id, capability: 'code', instructions: 'x', depends_on: deps });
  const self = validatePlan({ subtasks: [one(['a'])] }, rules);
  assert.match(!self.ok ? self.error : '', /depends on itself/);
  const dangling = validatePlan({ subtasks: [one(['zzz'])] }, rules);
  assert.match(!dangling.ok ? dangling.error : '', /"zzz", which is not in the plan/);
  const dup = validatePlan({ subtasks: [one([]), one([])] }, rules);
  assert.match(!dup.ok ? dup.error : '', /used by more than one/);
});

test('a capability outside the pool is rejected and the allowed names are listed', () => {
  const r = validatePlan(
    { subtasks: [{ id: 'a', capability: 'vision', instructions: 'look', depends_on: [] }] },
    rules,
  );
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error : '', /"vision", which is not one of the pool's: chat, code, math, writing/);
});

test('more sub-tasks than max_subtasks, an empty plan and missing fields are rejected', () => {
  const many = Array.from({ length: 5 }, (_, i) => ({
    id: `s${i}`,
    capability: 'chat',
    instructions: 'x',
    depends_on: [],
  }));
  assert.match(JSON.stringify(validatePlan({ subtasks: many }, rules)), /5 sub-tasks; at most 4/);
  assert.match(JSON.stringify(validatePlan({ subtasks: [] }, rules)), /no sub-tasks/);
  assert.match(JSON.stringify(validatePlan({ plan: 'x' }, rules)), /no \\"subtasks\\" list/);
  assert.match(
    JSON.stringify(validatePlan({ subtasks: [{ id: 'a', capability: 'chat' }] }, rules)),
    /no \\"instructions\\"/,
  );
});

test("ids that collide with the orchestrator's own step ids are renamed, dependencies included", () => {
  const r = validatePlan(
    {
      subtasks: [
        { id: 'plan', capability: 'code', instructions: 'x', depends_on: [] },
        { id: 'b', capability: 'writing', instructions: 'y', depends_on: ['plan'] },
      ],
    },
    rules,
  );
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(
    r.plan.subtasks.map((s) => [s.id, s.depends_on]),
    [
      ['plan_1', []],
      ['b', ['plan_1']],
    ],
  );
});

test('a plan pattern is the capabilities per dependency level', () => {
  assert.equal(planPattern(valid), 'code+math>writing');
  assert.equal(
    planPattern({
      subtasks: [
        { id: 'a', capability: 'math', instructions: '', depends_on: [] },
        { id: 'b', capability: 'code', instructions: '', depends_on: ['a'] },
        { id: 'c', capability: 'chat', instructions: '', depends_on: [] },
      ],
    }),
    'chat+math>code',
  );
});
