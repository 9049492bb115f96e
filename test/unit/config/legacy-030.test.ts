// 0.3.0's config keys → today's (daemon/config/legacy-030.ts), through the config parser users hit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from '../../../daemon/config';

const parse = (text: string) => parseConfigText(text, {}, 'config.yaml');

test("today's keys win over 0.3.0's, and the warning says which 0.3.0 key was passed over", () => {
  const { config, warnings } = parse(`
port: 7000
server: { port: 6061 }
tier1: { router: { prefer_local: false } }
routing: { prefer_local: true }
models: [{ name: m, provider: openai, model: x, capabilities: [chat], max_tokens: 10, max_output_tokens: 20 }]
`);
  assert.equal(config.server?.port, 6061);
  assert.equal(config.routing?.prefer_local, true);
  assert.equal(config.models[0]?.max_output_tokens, 20);
  assert.match(
    warnings.join('\n'),
    /ignored.*port \(server\.port is set\).*tier1\.router\.prefer_local \(routing\.prefer_local is set\)/,
  );
});

test('a non-loopback host carries over only with a token; tier2 models carry over when it was enabled', () => {
  const { config } = parse(`
host: 0.0.0.0
server: { token: t }
tier2: { enabled: true, planner_model: m, synthesizer_model: m, max_subtasks: 3, grpo_enabled: true }
models: [{ name: m, model: x }]
`);
  assert.equal(config.server?.host, '0.0.0.0');
  assert.deepEqual(config.orchestrator, { planner: 'm', synthesizer: 'm', max_subtasks: 3 });
  // 0.3.0's defaults for a model's provider and capabilities.
  assert.equal(config.models[0]?.provider, 'openai');
  assert.deepEqual(config.models[0]?.capabilities, ['chat']);
});

test("a config with none of 0.3.0's keys is unchanged and warns nothing; today's unknown keys are still refused", () => {
  const { warnings } = parse(`models: [{ name: m, provider: openai, model: x, capabilities: [chat] }]`);
  assert.deepEqual(warnings, []);
  assert.throws(() => parse(`colour: red\nmodels: []`), /colour: unknown field/);
  assert.throws(
    () => parse(`models: [{ name: m, provider: openai, model: x, capabilities: [chat], rpm_limit: 3 }]`),
    /rpm_limit: unknown field/,
  );
});
