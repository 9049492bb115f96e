// The Messages door's pure pieces that the SDK tests (messages-door-fidelity.test.ts) cannot reach
// from a fake upstream: the in-band error type for every upstream status, and the count estimate.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CountTokensRequest } from '../../../shared/anthropic-messages';
import { errorBody } from '../../../daemon/http/errors';
import { anthropicStreamError, estimateCountTokens } from '../../../daemon/http/translate/messages';

describe('anthropicStreamError', () => {
  const failed = errorBody('UpstreamFailed', 'm failed mid-stream: …');
  const typeFor = (details: unknown): string => anthropicStreamError(failed, details).error.type;

  test("an upstream's status names the Anthropic type clients retry on", () => {
    assert.equal(typeFor({ upstream_status: 529 }), 'overloaded_error');
    assert.equal(typeFor({ upstream_status: 503 }), 'overloaded_error');
    assert.equal(typeFor({ upstream_status: 429 }), 'rate_limit_error');
    assert.equal(typeFor({ upstream_status: 500 }), 'api_error');
  });

  test('without a status, or with a 4xx that is not about the client, it stays api_error', () => {
    assert.equal(typeFor(undefined), 'api_error');
    assert.equal(typeFor({ upstream_status: 400 }), 'api_error');
    assert.equal(typeFor({ attempts: [] }), 'api_error');
  });

  test('the message is the one the service wrote', () => {
    assert.equal(anthropicStreamError(failed, { upstream_status: 529 }).error.message, 'm failed mid-stream: …');
  });
});

describe('estimateCountTokens', () => {
  const request = (content: unknown): CountTokensRequest =>
    ({ model: 'x', messages: [{ role: 'user', content }] }) as CountTokensRequest;

  test('a PDF without readable page objects (or by URL) counts as one page', () => {
    const garbled = {
      type: 'base64',
      media_type: 'application/pdf',
      data: Buffer.from('%PDF-1.7 …').toString('base64'),
    };
    const byUrl = { type: 'url', url: 'https://example.com/a.pdf' };
    const one = estimateCountTokens(request([{ type: 'document', source: garbled }]));
    assert.equal(estimateCountTokens(request([{ type: 'document', source: byUrl }])), one);
    assert.ok(one >= 1500, String(one));
  });

  test('`/Type /Pages` (the page tree) is not a page', () => {
    const tree = Buffer.from('<</Type /Pages /Count 1>> <</Type/Page>>').toString('base64');
    const twoPageLike = Buffer.from('<</Type /Page>> <</Type/Page>>').toString('base64');
    const pdf = (data: string): unknown => [
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data } },
    ];
    assert.ok(estimateCountTokens(request(pdf(twoPageLike))) > estimateCountTokens(request(pdf(tree))));
  });

  test('malformed blocks are still refused: only what no pool model takes is estimated', () => {
    assert.throws(() => estimateCountTokens(request([{ type: 'text', text: 42 }])), /must be a string/);
  });
});
