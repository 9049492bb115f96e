import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FugusashiError } from '../../../shared/errors';
import { IMPORTED_RATING_SOURCE, type Store } from '../../../daemon/core/ports';
import { POOL, T0, makeFeedback, makeOutcome, makeRequest, requestId } from '../../fixtures/store/records';
import { STORE_IMPLEMENTATIONS, type OpenedStore } from '../../helpers/stores';

// The Store interface's behaviour, for the embedded store and the PostgreSQL one alike.
for (const impl of STORE_IMPLEMENTATIONS) {
  describe(`store queries (${impl.name})`, { skip: impl.skip }, () => {
    let opened: OpenedStore;
    let store: Store;
    const N = 20;
    const older = () => makeRequest(1000, { created_at: T0 - 10_000_000 });
    const written = () => [...Array.from({ length: N }, (_, i) => makeRequest(i)), older()];

    before(async () => {
      opened = await impl.open();
      store = opened.store;
      for (let i = 0; i < N; i++) store.saveRequest(makeRequest(i));
      // Request 0 (local-small): 2 then 5 (latest counts); 1 (cheap): 4; 2 (strong): 3; 4 (cheap): 1.
      store.addFeedback(makeFeedback(0, 2));
      store.addFeedback(makeFeedback(0, 5));
      store.addFeedback(makeFeedback(1, 4));
      store.addFeedback(makeFeedback(2, 3));
      store.addFeedback(makeFeedback(4, 1, 'thumbs'));
      // Implicit signals are counted but are not a user's rating.
      store.addFeedback(makeFeedback(5, 1, 'implicit:regenerate'));
    });
    after(() => opened?.close());

    test('hasRequest and getTrace return the whole story', () => {
      assert.equal(store.hasRequest(requestId(3)), true);
      assert.equal(store.hasRequest('fugu-nope'), false);
      assert.equal(store.getTrace('fugu-nope'), undefined);
      const written = makeRequest(0);
      const trace = store.getTrace(requestId(0));
      assert.ok(trace);
      assert.equal(trace.request_id, written.request_id);
      assert.deepEqual(trace.decision, written.decision);
      assert.deepEqual(trace.messages, written.messages);
      assert.deepEqual(trace.request_params, written.request_params);
      assert.deepEqual(trace.attempts, written.attempts);
      assert.deepEqual(trace.usage, written.usage);
      assert.equal(trace.response_text, 'answer 0');
      assert.equal(trace.rating, 5);
      assert.equal(trace.prompt_preview, written.routing_text.slice(0, 200));
      assert.deepEqual(
        trace.feedback.map((f) => f.rating),
        [2, 5],
      );
      assert.equal(trace.steps, undefined);
      const failed = store.getTrace(requestId(9));
      assert.equal(failed?.status, 'error');
      assert.equal(failed?.error, 'upstream 500');
      assert.equal(failed?.usage, null);
    });

    test("the prompt-cache split of a record's usage is kept and read back (decisions and trace)", async () => {
      // A store of its own: the other tests count this one's rows.
      const own = await impl.open();
      try {
        const cachedUsage = {
          prompt_tokens: 1000,
          completion_tokens: 10,
          total_tokens: 1010,
          prompt_tokens_details: { cached_tokens: 800, cache_creation_tokens: 100, cache_creation_1h_tokens: 60 },
        };
        const record = makeRequest(1, { usage: cachedUsage });
        own.store.saveRequest(record);
        own.store.saveRequest(makeRequest(2));
        const rows = own.store.listDecisions({ limit: 10 });
        // Before, only prompt/completion/total tokens came back: the split was lost.
        assert.deepEqual(rows.find((r) => r.request_id === record.request_id)?.usage, cachedUsage);
        assert.deepEqual(own.store.getTrace(record.request_id)?.usage, cachedUsage);
        // A record without the split (not reported, or older) reads as before: no details.
        assert.deepEqual(own.store.getTrace(requestId(2))?.usage, makeRequest(2).usage);
      } finally {
        await own.close();
      }
    });

    test('an orchestrated request keeps its steps', async () => {
      const steps = [
        {
          id: 'p',
          kind: 'plan' as const,
          model: 'strong',
          reason: 'plans',
          started_at: T0,
          duration_ms: 5,
          cost_usd: 0.01,
          status: 'ok' as const,
        },
      ];
      store.saveRequest({ ...older(), steps });
      assert.deepEqual(store.getTrace(requestId(1000))?.steps, steps);
    });

    test('listDecisions pages newest first by created_at', () => {
      const page1 = store.listDecisions({ limit: 5 });
      assert.deepEqual(
        page1.map((r) => r.request_id),
        [19, 18, 17, 16, 15].map(requestId),
      );
      const last = page1[page1.length - 1];
      assert.ok(last);
      const page2 = store.listDecisions({ limit: 5, before: last.created_at });
      assert.deepEqual(
        page2.map((r) => r.request_id),
        [14, 13, 12, 11, 10].map(requestId),
      );
      const tail = store.listDecisions({ limit: 100, before: T0 + 3000 });
      assert.deepEqual(
        tail.map((r) => r.request_id),
        [2, 1, 0, 1000].map(requestId),
      );
      const row = tail.find((r) => r.request_id === requestId(1));
      assert.equal(row?.rating, 4);
      assert.equal(row?.answered_by, 'cheap');
      assert.equal(tail.find((r) => r.request_id === requestId(2))?.rating, 3);
      assert.equal(
        store.listDecisions({ limit: 100, before: T0 + 6000 }).find((r) => r.request_id === requestId(5))?.rating,
        null,
      );
    });

    test('stats aggregates requests, tokens, cost, per model and per strategy', () => {
      const all = written();
      const since = T0;
      const inRange = all.filter((r) => r.created_at >= since);
      const s = store.stats(POOL, since);
      assert.equal(s.requests, N);
      assert.equal(s.since, since);
      assert.equal(s.errors, inRange.filter((r) => r.status === 'error').length);
      const prompt = inRange.reduce((a, r) => a + (r.usage?.prompt_tokens ?? 0), 0);
      const completion = inRange.reduce((a, r) => a + (r.usage?.completion_tokens ?? 0), 0);
      assert.equal(s.prompt_tokens, prompt);
      assert.equal(s.completion_tokens, completion);
      assert.ok(Math.abs(s.cost_usd - inRange.reduce((a, r) => a + r.cost_usd, 0)) < 1e-12);
      // The pool's most expensive model is "strong" (3e-6 in, 15e-6 out).
      assert.ok(Math.abs(s.cost_if_most_expensive_usd - (prompt * 3e-6 + completion * 15e-6)) < 1e-12);
      assert.ok(s.cost_if_most_expensive_usd > s.cost_usd);
      const meanRouting = inRange.reduce((a, r) => a + r.decision.latency_ms, 0) / inRange.length;
      assert.ok(Math.abs(s.mean_routing_latency_ms - meanRouting) < 1e-9);
      const cheap = s.models.find((m) => m.model === 'cheap');
      const cheapRows = inRange.filter((r) => (r.answered_by ?? r.decision.model) === 'cheap');
      assert.equal(cheap?.requests, cheapRows.length);
      assert.equal(cheap?.errors, cheapRows.filter((r) => r.status === 'error').length);
      assert.ok(
        Math.abs((cheap?.mean_latency_ms ?? 0) - cheapRows.reduce((a, r) => a + r.latency_ms, 0) / cheapRows.length) <
          1e-9,
      );
      assert.equal(
        s.models.reduce((a, m) => a + m.requests, 0),
        N,
      );
      assert.deepEqual(Object.fromEntries(s.per_strategy.map((p) => [p.strategy, p.requests])), {
        cost: 5,
        learned: 5,
        similarity: 5,
        fallback: 5,
      });
      // Without `since`: everything, including the older orchestrated request.
      assert.equal(store.stats(POOL).requests, N + 1);
      assert.equal(store.stats(POOL).since, null);
      // An empty pool has no price to compare with: no saving is claimed.
      assert.equal(store.stats([], since).cost_if_most_expensive_usd, s.cost_usd);
      assert.equal(store.stats(POOL, T0 + 1e9).requests, 0);
    });

    test('usageOverTime buckets requests per model, with empty buckets filled', () => {
      const buckets = store.usageOverTime(5000, T0);
      assert.equal(buckets.length, 4); // 20 requests one second apart
      assert.equal(buckets[0]?.start, T0);
      assert.deepEqual(buckets[0]?.per_model, { 'local-small': 2, cheap: 2, strong: 1 });
      assert.equal(
        buckets.reduce((a, b) => a + Object.values(b.per_model).reduce((x, y) => x + y, 0), 0),
        N,
      );
      const sparse = store.usageOverTime(1_000_000);
      assert.ok(sparse.length >= 11);
      assert.ok(sparse.some((b) => Object.keys(b.per_model).length === 0));
    });

    test('rankings: mean of the latest user ratings, win rate, cost per request, by capability', () => {
      const rankings = store.rankings(POOL);
      assert.deepEqual(
        rankings.map((r) => r.model),
        ['local-small', 'strong', 'cheap'],
      );
      const local = rankings.find((r) => r.model === 'local-small');
      assert.equal(local?.ratings, 1);
      assert.equal(local?.mean_rating, 5);
      assert.equal(local?.win_rate, 1);
      const cheap = rankings.find((r) => r.model === 'cheap');
      assert.equal(cheap?.ratings, 2); // 4 (request 1) and a thumbs-down (request 4)
      assert.equal(cheap?.mean_rating, 2.5);
      assert.equal(cheap?.win_rate, 0.5);
      const cheapOk = written().filter((r) => r.answered_by === 'cheap');
      assert.equal(cheap?.requests, cheapOk.length);
      assert.ok(
        Math.abs((cheap?.cost_per_request_usd ?? 0) - cheapOk.reduce((a, r) => a + r.cost_usd, 0) / cheapOk.length) <
          1e-12,
      );
      // Request 4 needed "code" (even index), request 1 recorded none so it counts as "chat".
      assert.deepEqual(cheap?.by_capability, [
        { capability: 'chat', ratings: 1, mean_rating: 4 },
        { capability: 'code', ratings: 1, mean_rating: 1 },
      ]);
      const strong = rankings.find((r) => r.model === 'strong');
      assert.deepEqual(
        strong?.by_capability.map((c) => c.capability),
        ['chat', 'code', 'reasoning'],
      );
      assert.equal(strong?.by_capability.find((c) => c.capability === 'reasoning')?.mean_rating, null);
    });

    test("rankings count ratings imported from 0.3.0's outcomes.jsonl with the requests' ratings", async () => {
      // A store of its own: the other tests count this one's rows. Before, rankings read only the
      // requests table, so 0.3.0's imported ratings were invisible (ratings 0, mean_rating null).
      const own = await impl.open();
      try {
        own.store.saveRequest(makeRequest(1)); // cheap
        own.store.addFeedback(makeFeedback(1, 4));
        const imported = (model: string, rating: number, i: number) => ({
          ...makeOutcome(i),
          model,
          score: (rating - 1) / 4,
          source: IMPORTED_RATING_SOURCE,
          request_id: null,
          import_key: `import:030:test:${i}`,
        });
        own.store.addOutcomes([imported('cheap', 5, 1), imported('cheap', 1, 2), imported('gone-030', 4, 3)]);
        // Another imported row (a score table's) is not a user's rating.
        own.store.addOutcomes([{ ...makeOutcome(4), model: 'cheap', score: 1, source: 'seed', request_id: null }]);
        const rankings = own.store.rankings(POOL);
        const cheap = rankings.find((r) => r.model === 'cheap');
        assert.equal(cheap?.ratings, 3);
        assert.ok(Math.abs((cheap?.mean_rating ?? 0) - 10 / 3) < 1e-9, String(cheap?.mean_rating));
        assert.ok(Math.abs((cheap?.win_rate ?? 0) - 2 / 3) < 1e-9, String(cheap?.win_rate));
        assert.equal(cheap?.requests, 1, 'imported ratings are not requests of this store');
        // Request 1 recorded no capabilities; an imported rating has none either: both are "chat".
        assert.deepEqual(
          cheap?.by_capability.find((c) => c.capability === 'chat'),
          { capability: 'chat', ratings: 3, mean_rating: 10 / 3 },
        );
        // A model of the 0.3.0 pool that is not in today's pool is listed, as answered_by models are.
        const gone = rankings.find((r) => r.model === 'gone-030');
        assert.equal(gone?.ratings, 1);
        assert.equal(gone?.mean_rating, 4);
        assert.equal(gone?.win_rate, 1);
      } finally {
        await own.close();
      }
    });

    test('feedbackCounts counts every feedback by source', () => {
      assert.deepEqual(store.feedbackCounts(), {
        ratings: 6,
        by_source: { explicit: 4, thumbs: 1, 'implicit:regenerate': 1 },
      });
    });

    test('addFeedback: unknown request → NotFound, bad rating → InvalidRequest, nothing stored', () => {
      const before = store.feedbackCounts().ratings;
      assert.throws(
        () => store.addFeedback({ ...makeFeedback(0), request_id: 'fugu-unknown' }),
        (err: unknown) =>
          err instanceof FugusashiError && err.kind === 'NotFound' && err.message.includes('fugu-unknown'),
      );
      for (const rating of [0, 6, Number.NaN, 4.5 + 1]) {
        assert.throws(
          () => store.addFeedback(makeFeedback(1, rating)),
          (err: unknown) => err instanceof FugusashiError && err.kind === 'InvalidRequest' && err.param === 'rating',
        );
      }
      assert.equal(store.feedbackCounts().ratings, before);
    });

    test('outcomes: ids in order, listOutcomes(afterId), count, JSON lines export', () => {
      const added = store.addOutcomes([makeOutcome(0), makeOutcome(1), makeOutcome(2)]);
      // The embedded store numbers from 1; PostgreSQL's replicas each number within their own block.
      const first = added[0]?.id ?? 0;
      if (impl.name === 'embedded') assert.equal(first, 1);
      assert.deepEqual(
        added.map((o) => o.id - first),
        [0, 1, 2],
      );
      const more = store.addOutcomes([{ ...makeOutcome(3), request_id: requestId(3) }]);
      assert.equal(more[0]?.id, first + 3);
      assert.equal(store.countOutcomes(), 4);
      assert.deepEqual(store.listOutcomes(), [...added, ...more]);
      assert.deepEqual(store.listOutcomes(first + 1), [added[2], more[0]]);
      assert.deepEqual(store.listOutcomes(first + 3), []);
      assert.deepEqual(store.addOutcomes([]), []);
      assert.throws(() => store.addOutcomes([{ ...makeOutcome(5), score: Number.NaN }]), FugusashiError);
      assert.equal(store.countOutcomes(), 4);
      const lines: string[] = [];
      assert.equal(
        store.exportOutcomes((line) => lines.push(line)),
        4,
      );
      assert.ok(lines.every((l) => l.endsWith('\n')));
      assert.deepEqual(
        lines.map((l) => JSON.parse(l) as unknown),
        store.listOutcomes(),
      );
    });
  });

  describe(`usage rollup (usage_hourly, kept by triggers) (${impl.name})`, { skip: impl.skip }, () => {
    const MINUTE = 60_000;
    const HOUR = 60 * MINUTE;
    let opened: OpenedStore;
    let store: Store;
    const written = Array.from({ length: 40 }, (_, i) => makeRequest(i, { created_at: T0 + i * 17 * MINUTE + 123 }));

    before(async () => {
      opened = await impl.open();
      store = opened.store;
      for (const r of written) store.saveRequest(r);
      // Saved again with another model, cost and time: it must count once, where it is now.
      const moved = makeRequest(7, {
        created_at: T0 + 5 * HOUR + 1,
        cost_usd: 1,
        decision: { ...makeRequest(7).decision, model: 'strong' },
        answered_by: 'strong',
      });
      store.saveRequest(moved);
      written[7] = moved;
    });
    after(() => opened?.close());

    function expected(since: number | undefined) {
      const rows = written.filter((r) => since === undefined || r.created_at >= since);
      const perModel: Record<string, number> = {};
      for (const r of rows)
        perModel[r.answered_by ?? r.decision.model] = (perModel[r.answered_by ?? r.decision.model] ?? 0) + 1;
      return {
        requests: rows.length,
        cost: rows.reduce((a, r) => a + r.cost_usd, 0),
        prompt: rows.reduce((a, r) => a + (r.usage?.prompt_tokens ?? 0), 0),
        routing: rows.length ? rows.reduce((a, r) => a + r.decision.latency_ms, 0) / rows.length : 0,
        perModel,
      };
    }

    test('stats matches a recount of the requests for any since, mid-hour or not', () => {
      for (const since of [
        undefined,
        T0,
        T0 + 1,
        T0 + 45 * MINUTE,
        T0 + 3 * HOUR + 5 * MINUTE,
        T0 + 5 * HOUR,
        T0 + 100 * HOUR,
      ]) {
        const s = store.stats(POOL, since);
        const e = expected(since);
        assert.equal(s.requests, e.requests, `since ${since}`);
        assert.ok(Math.abs(s.cost_usd - e.cost) < 1e-9, `cost since ${since}`);
        assert.equal(s.prompt_tokens, e.prompt, `tokens since ${since}`);
        assert.ok(Math.abs(s.mean_routing_latency_ms - e.routing) < 1e-9, `routing latency since ${since}`);
        assert.deepEqual(
          Object.fromEntries(s.models.map((m) => [m.model, m.requests])),
          e.perModel,
          `per model since ${since}`,
        );
      }
    });

    test('usageOverTime gives the same buckets from the rollup (whole hours) and from the requests', () => {
      const recount = (size: number, since?: number) => {
        const buckets = new Map<number, number>();
        for (const r of written) {
          if (since !== undefined && r.created_at < since) continue;
          const start = Math.floor(r.created_at / size) * size;
          buckets.set(start, (buckets.get(start) ?? 0) + 1);
        }
        return buckets;
      };
      for (const [size, since] of [
        [HOUR, undefined],
        [2 * HOUR, T0 + 70 * MINUTE],
        [15 * MINUTE, undefined],
        [15 * MINUTE, T0 + 2 * HOUR + 1],
      ] as const) {
        const got = store.usageOverTime(size, since);
        const want = recount(size, since);
        for (const bucket of got) {
          const n = Object.values(bucket.per_model).reduce((a, b) => a + b, 0);
          assert.equal(n, want.get(bucket.start) ?? 0, `bucket ${bucket.start} of ${size} since ${since}`);
        }
        assert.equal(
          got.reduce((a, b) => a + Object.values(b.per_model).reduce((x, y) => x + y, 0), 0),
          [...want.values()].reduce((a, b) => a + b, 0),
        );
      }
    });
  });
}

// In a store of its own: the rows it adds would change the figures the suite above checks.
for (const impl of STORE_IMPLEMENTATIONS) {
  describe(`store decisions paging (${impl.name})`, { skip: impl.skip }, () => {
    let opened: OpenedStore;
    before(async () => {
      opened = await impl.open();
    });
    after(() => opened?.close());

    test('listDecisions pages through requests stored in the same millisecond without skipping any', () => {
      // A busy daemon stores several requests per millisecond; a page ending inside such a group
      // used to skip the group's other rows (the cursor was created_at alone).
      const at = T0 - 5_000_000;
      const ids = Array.from({ length: 7 }, (_, i) => `fugu-same-ms-${i}`);
      for (const id of ids) opened.store.saveRequest({ ...makeRequest(2000), request_id: id, created_at: at });
      const seen: string[] = [];
      let page = opened.store.listDecisions({ limit: 3, before: at + 1 });
      while (page.length > 0 && page[0]!.created_at === at) {
        seen.push(...page.filter((r) => r.created_at === at).map((r) => r.request_id));
        const last = page[page.length - 1]!;
        page = opened.store.listDecisions({ limit: 3, before: last.created_at, before_id: last.request_id });
      }
      assert.deepEqual(seen, [...ids].reverse());
    });
  });
}
