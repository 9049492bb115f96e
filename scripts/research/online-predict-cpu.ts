// CPU of the learner's prediction with and without the round-quality11 options (the local step and
// the prior's member spread), on a store of N revealed MMLU outcomes (one model per prompt, as the
// online replay), 2,000 predictions each, alternating builds, CPU time from process.cpuUsage.
//   node --import tsx scripts/research/online-predict-cpu.ts [N]
import { foldOf, seededRandom } from '../../daemon/benchmark/folds';
import { shuffle, sigmoid } from '../../daemon/core/learned/linear';
import { DEFAULT_QUALITY_MODEL, QualityModel, type QualityModelOptions } from '../../daemon/core/learned/quality-model';
import { onlineRows, STRONG, WEAK } from './online-rows';

const WITH: Partial<QualityModelOptions> = {
  localResidual: { k: 50, temperature: 0.15, perModel: 40 },
  spreadPull: { reference: 0.0625, power: -1, clamp: 4 },
};
const WITHOUT: Partial<QualityModelOptions> = { localResidual: undefined, spreadPull: undefined };

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 3000);
  const { rows } = await onlineRows(process.env.ONLINE_CACHE ?? '/tmp/online10/cache');
  const names = [STRONG, WEAK];
  const stream = rows.filter((r) => foldOf(r.prompt, 5) !== 0);
  const evaluated = rows.filter((r) => foldOf(r.prompt, 5) === 0).slice(0, 2000);
  const random = seededRandom(1);
  shuffle(stream, random);
  const models = [WITHOUT, WITH].map((o) => new QualityModel(rows[0]!.vector.length, { ...DEFAULT_QUALITY_MODEL, ...o }));
  for (const m of models) {
    const pick = seededRandom(2);
    for (const r of stream.slice(0, n)) {
      const c = pick() < 0.6 ? 0 : 1;
      m.add(r.key, r.vector, r.features, names[c]!, r.scores[c], 1, r.logits[c], r.spreads[c]);
    }
    const t = process.cpuUsage();
    await m.refit(seededRandom(3), undefined, 'cells');
    const u = process.cpuUsage(t);
    console.log(`refit ${m === models[0] ? 'without' : 'with'}: ${((u.user + u.system) / 1000).toFixed(0)} ms CPU`);
  }
  const per: number[][] = [[], []];
  for (let round = 0; round < 4; round++)
    models.forEach((m, j) => {
      const t = process.cpuUsage();
      for (const e of evaluated) m.predict(e.vector, e.features, names, e.logits.map(sigmoid), undefined, e.spreads);
      const u = process.cpuUsage(t);
      per[j]!.push((u.user + u.system) / 1000 / evaluated.length);
    });
  console.log(`n=${n}: ms CPU per prediction, 4 rounds: without ${per[0]!.map((x) => x.toFixed(3)).join(' ')}; with ${per[1]!.map((x) => x.toFixed(3)).join(' ')}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
