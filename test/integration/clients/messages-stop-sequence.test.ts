// An Anthropic upstream that stopped on one of the client's stop sequences says so (`stop_reason:
// "stop_sequence"` and which sequence); through the Messages door the client used to get `end_turn` and
// `stop_sequence: null`, so Claude Code and SDK users could not tell a stop sequence from a finished turn.
// An OpenAI-compatible upstream gets the sequences as `stop` and, as it never says which one matched,
// its `stop` stays `end_turn`.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Anthropic from '@anthropic-ai/sdk';
import { startClaudeAndGpt } from '../../helpers/claude-and-gpt';
import type { TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;
let client: Anthropic;
before(async () => {
  ({ d, client } = await startClaudeAndGpt({ tools: false }));
});
after(async () => d.close());

const request = (model: string): Anthropic.MessageCreateParamsNonStreaming => ({
  model,
  max_tokens: 100,
  stop_sequences: ['END', '###'],
  messages: [{ role: 'user', content: 'Count to three, then write ###' }],
});

test('an Anthropic stop_sequence stop reaches the client with the sequence, answered whole', async () => {
  d.fakes['claude']!.enqueue({ text: '1 2 3', nativeFinishReason: 'stop_sequence', stopSequence: '###' });
  const message = await client.messages.create(request('claude'));
  assert.equal(message.stop_reason, 'stop_sequence');
  assert.equal(message.stop_sequence, '###');
  const upstream = d.fakes['claude']!.requests.at(-1)!.body as { stop_sequences?: string[] };
  assert.deepEqual(upstream.stop_sequences, ['END', '###']);
});

test('an Anthropic stop_sequence stop reaches the client with the sequence, streamed', async () => {
  d.fakes['claude']!.enqueue({ text: '1 2 3', nativeFinishReason: 'stop_sequence', stopSequence: 'END' });
  const stream = client.messages.stream(request('claude'));
  let delta: Anthropic.RawMessageDeltaEvent['delta'] | undefined;
  stream.on('streamEvent', (event) => {
    if (event.type === 'message_delta') delta = event.delta;
  });
  const message = await stream.finalMessage();
  assert.equal(delta?.stop_reason, 'stop_sequence');
  assert.equal(delta?.stop_sequence, 'END');
  assert.equal(message.stop_reason, 'stop_sequence');
  assert.equal(message.stop_sequence, 'END');
});

test('a plain Anthropic end_turn stays end_turn with no sequence', async () => {
  d.fakes['claude']!.enqueue({ text: 'done' });
  const message = await client.messages.create(request('claude'));
  assert.equal(message.stop_reason, 'end_turn');
  assert.equal(message.stop_sequence, null);
});

test('an OpenAI upstream gets the sequences as `stop`, and its finish_reason stop is end_turn', async () => {
  d.fakes['gpt']!.enqueue({ text: '1 2 3', finishReason: 'stop' });
  const message = await client.messages.create(request('gpt'));
  assert.equal(message.stop_reason, 'end_turn');
  assert.equal(message.stop_sequence, null);
  const upstream = d.fakes['gpt']!.requests.at(-1)!.body as { stop?: string[] };
  assert.deepEqual(upstream.stop, ['END', '###']);

  d.fakes['gpt']!.enqueue({ text: '1 2', finishReason: 'length' });
  const streamed = await client.messages.stream(request('gpt')).finalMessage();
  assert.equal(streamed.stop_reason, 'max_tokens');
  assert.equal(streamed.stop_sequence, null);
});
