// What the Anthropic Messages door (POST /v1/messages) keeps of an answer through the official
// @anthropic-ai/sdk, as Claude Code uses it: an OpenAI upstream's refusal, an assistant turn's several
// text blocks, a mid-stream upstream error's type, the prompt-cache write breakdown of a stream,
// the request-id header, unknown /v1/messages/* paths, count_tokens on what it can only estimate.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { REFUSAL, refuse } from '../../fakes/openai-refusal';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

/** The Anthropic pool model's key: plain words, so only the pool's own secret list can redact it. */
const POOL_KEY = 'plain-pool-credential-42';
let d: TestDaemon;
let client: Anthropic;

before(async () => {
  d = await startTestDaemon({
    rpc: false,
    models: [{ name: 'gpt-pool' }, { name: 'claude-pool', kind: 'anthropic', config: { api_key: POOL_KEY } }],
    config: { routing: { prefer_local: false, cooldown_failures: 100 } },
  });
  client = new Anthropic({ baseURL: d.url, apiKey: 'x', maxRetries: 0 });
});
after(async () => d.close());
beforeEach(() => {
  for (const f of Object.values(d.fakes)) f.reset();
});

const ask = { max_tokens: 50, messages: [{ role: 'user' as const, content: 'hi' }] };

describe('POST /v1/messages keeps what the upstream said', () => {
  test("an OpenAI upstream's refusal is a text block with stop_reason 'refusal' (JSON and streamed)", async () => {
    d.fakes['gpt-pool']!.set({ custom: refuse });
    const json = await client.messages.create({ model: 'gpt-pool', ...ask });
    assert.equal(json.stop_reason, 'refusal');
    assert.deepEqual(json.content, [{ type: 'text', text: REFUSAL }]);
    const streamed = await client.messages.stream({ model: 'gpt-pool', ...ask }).finalMessage();
    assert.equal(streamed.stop_reason, 'refusal');
    assert.deepEqual(
      streamed.content.map((b) => (b.type === 'text' ? b.text : b.type)),
      [REFUSAL],
    );
  });

  test("an assistant turn's text blocks reach OpenAI and Anthropic upstreams apart, not glued", async () => {
    for (const model of ['gpt-pool', 'claude-pool']) {
      await client.messages.create({
        model,
        max_tokens: 20,
        messages: [
          { role: 'user', content: 'hi' },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'The tests pass.' },
              { type: 'text', text: 'Next I will refactor.' },
            ],
          },
          { role: 'user', content: 'ok' },
        ],
      });
      const sent = JSON.stringify(d.fakes[model]!.requests.at(-1)!.body.messages[1]);
      assert.ok(!sent.includes('pass.Next'), `${model} got ${sent}`);
      assert.ok(sent.includes('The tests pass.\\n\\nNext I will refactor.'), `${model} got ${sent}`);
    }
  });
});

describe('a stream that fails after it started', () => {
  // The SDK turns the in-band `error` event into an APIError whose `type` is the event's error.type:
  // what clients check to retry an overloaded or rate-limited model.
  const failedType = async (upstreamType: string): Promise<string | null> => {
    // Upstreams echo request headers in error text: the key must not reach the client.
    const message = `Overloaded (request had x-api-key ${POOL_KEY})`;
    d.fakes['claude-pool']!.set({ streamError: { message, type: upstreamType, afterFrames: 5 } });
    const stream = client.messages.stream({ model: 'claude-pool', ...ask });
    const err = await stream.finalMessage().then(
      () => assert.fail('the stream should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof Anthropic.APIError, String(err));
    assert.match(err.message, /claude-pool failed mid-stream/);
    assert.ok(!err.message.includes(POOL_KEY), err.message);
    assert.match(err.message, /request had x-api-key \[redacted\]/);
    return err.type;
  };

  test("keeps an Anthropic upstream's overloaded_error and rate_limit_error types", async () => {
    assert.equal(await failedType('overloaded_error'), 'overloaded_error');
    assert.equal(await failedType('rate_limit_error'), 'rate_limit_error');
    assert.equal(await failedType('api_error'), 'api_error');
  });

  test("an OpenAI-compatible upstream's in-stream rate limit reaches an Anthropic client as rate_limit_error", async () => {
    const kind = async (type: string): Promise<string | null> => {
      d.fakes['gpt-pool']!.set({ streamError: { message: 'slow down', type, afterFrames: 5 } });
      const err: unknown = await client.messages
        .stream({ model: 'gpt-pool', ...ask })
        .finalMessage()
        .then(
          () => assert.fail('the stream should fail'),
          (e: unknown) => e,
        );
      assert.ok(err instanceof Anthropic.APIError, String(err));
      return err.type;
    };
    assert.equal(await kind('rate_limit_exceeded'), 'rate_limit_error');
    assert.equal(await kind('server_error'), 'api_error');
  });
});

describe('prompt-cache usage of a stream', () => {
  test("the SDK's streamed final message never contradicts the JSON answer's cache-write split", async () => {
    d.fakes['claude-pool']!.set({
      usage: { prompt: 5000, completion: 20, cacheRead: 0, cacheCreation: 4000, cacheCreation1h: 1000 },
    });
    const request = { model: 'claude-pool', ...ask };
    const json = await client.messages.create(request);
    assert.deepEqual(json.usage.cache_creation, { ephemeral_5m_input_tokens: 3000, ephemeral_1h_input_tokens: 1000 });

    const stream = client.messages.stream(request);
    const deltas: Anthropic.MessageDeltaEvent[] = [];
    stream.on('streamEvent', (event) => {
      if (event.type === 'message_delta') deltas.push(event);
    });
    const streamed = await stream.finalMessage();
    const { cache_creation: split, ...counts } = streamed.usage;
    const { cache_creation: jsonSplit, ...jsonCounts } = json.usage;
    assert.deepEqual(counts, jsonCounts);
    // The SDK takes the split from message_start only, before the upstream said it: "unknown", not 0/0.
    assert.equal(split, null);
    // Clients that read the events themselves get it with the other final counts.
    assert.deepEqual((deltas[0]!.usage as { cache_creation?: unknown }).cache_creation, jsonSplit);
  });
});

describe('the rest of the Messages surface', () => {
  test('a JSON answer carries the request-id header, as a streamed one does', async () => {
    const { data, response, request_id } = await client.messages.create({ model: 'gpt-pool', ...ask }).withResponse();
    assert.equal(response.headers.get('request-id'), data.id);
    assert.equal(request_id, data.id);
  });

  test("endpoints the door does not offer (message batches) answer 404 in Anthropic's shape", async () => {
    const err = await client.messages.batches
      .create({ requests: [{ custom_id: 'a', params: { model: 'gpt-pool', ...ask } }] })
      .then(
        () => assert.fail('batches are not offered'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof Anthropic.NotFoundError, String(err));
    assert.equal(err.type, 'not_found_error');
    assert.equal((err.error as { type?: unknown }).type, 'error');
    for (const path of ['/v1/messages/count_tokens', '/v1/messages']) {
      for (const method of ['GET', 'OPTIONS']) {
        const res = await fetch(`${d.url}${path}`, { method });
        assert.equal(res.status, 404, `${method} ${path}`);
        assert.deepEqual(
          await res.json(),
          { type: 'error', error: { type: 'not_found_error', message: `No route ${method} ${path}` } },
          `${method} ${path}`,
        );
      }
      // HEAD has no body: its length says which one it stands for.
      const head = await fetch(`${d.url}${path}`, { method: 'HEAD' });
      assert.equal(head.status, 404, `HEAD ${path}`);
      const anthropicBody = { type: 'error', error: { type: 'not_found_error', message: `No route HEAD ${path}` } };
      assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(JSON.stringify(anthropicBody))));
    }
  });

  test('count_tokens estimates a server tool and a PDF instead of refusing them', async () => {
    const pdf = (pages: number): string =>
      Buffer.from(
        `%PDF-1.4\n1 0 obj <</Type /Pages /Count ${pages}>> endobj\n` +
          Array.from({ length: pages }, (_, i) => `${i + 2} 0 obj <</Type /Page /Parent 1 0 R>> endobj\n`).join(''),
      ).toString('base64');
    const count = async (pages: number): Promise<number> =>
      (
        await client.messages.countTokens({
          model: 'claude-sonnet-4-5',
          tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }],
          messages: [
            {
              role: 'user',
              content: [
                { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: pdf(pages) } },
                { type: 'text', text: 'Summarise this.' },
              ],
            },
          ],
        })
      ).input_tokens;
    const one = await count(1);
    const three = await count(3);
    // Anthropic's guide: 1,500–3,000 tokens a page.
    assert.ok(one >= 1500, `one page: ${one}`);
    assert.ok(three - one >= 2 * 1500, `one page ${one}, three pages ${three}`);
    // /v1/messages still refuses what no pool model can take: the estimate is only an estimate.
    await assert.rejects(
      client.messages.create({
        model: 'gpt-pool',
        max_tokens: 10,
        messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: pdf(1) } }] }], // prettier-ignore
      }),
      Anthropic.BadRequestError,
    );
  });
});
