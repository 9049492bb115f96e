// How long a refit holds the event loop between two yields (the longest synchronous span), for a
// store of N synthetic outcomes with prior offsets: node --import tsx scripts/research/refit-blocking.ts [N]
import { seededRandom } from '../../daemon/benchmark/folds';
import { textFeatures } from '../../daemon/core/learned/features';
import { QualityModel } from '../../daemon/core/learned/quality-model';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20_000);
  const dims = 512;
  const random = seededRandom(1);
  const centres = Array.from({ length: 400 }, () => Float32Array.from({ length: dims }, () => random() - 0.5));
  const model = new QualityModel(dims);
  for (let i = 0; i < n; i++) {
    const c = centres[i % centres.length]!;
    const v = Float32Array.from(c, (x) => x + 0.3 * (random() - 0.5));
    const norm = Math.hypot(...v);
    for (let j = 0; j < dims; j++) v[j] = v[j]! / norm;
    const text = `prompt ${i} about topic ${i % 400}`;
    const m = i % 2 === 0 ? 'strong' : 'weak';
    model.add(
      text,
      v,
      textFeatures(text),
      m,
      random() < (m === 'strong' ? 0.8 : 0.6) ? 1 : 0,
      1,
      m === 'strong' ? 1.2 : 0.4,
    );
  }
  await model.refit(random); // builds the search cells as the daemon's refit does
  let last = performance.now();
  let longest = 0;
  const started = last;
  await model.refit(random, async () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    await new Promise((r) => setImmediate(r));
    last = performance.now();
  });
  longest = Math.max(longest, performance.now() - last);
  console.log(
    `${n} outcomes: refit ${(performance.now() - started).toFixed(0)} ms, longest span between yields ${longest.toFixed(1)} ms`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
