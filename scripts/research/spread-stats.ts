// Quick look (round quality11): the prior's member disagreement per MMLU prompt and model.
import { foldOf } from '../../daemon/benchmark/folds';
import { sigmoid } from '../../daemon/core/learned/linear';
import { onlineRows } from './online-rows';

async function main(): Promise<void> {
  const { rows } = await onlineRows(process.env.ONLINE_CACHE ?? '/tmp/online10/cache');
  const fold0 = rows.filter((r) => foldOf(r.prompt, 5) === 0);
  for (const m of [0, 1] as const) {
    const s = fold0.map((r) => Math.sqrt(r.spreads[m])).sort((a, b) => a - b);
    const q = (f: number) => s[Math.floor(f * (s.length - 1))]!.toFixed(3);
    console.log(`model ${m}: sd quantiles 10/50/90 %: ${q(0.1)} ${q(0.5)} ${q(0.9)}`);
    // Binned by spread: the prior's squared error on that model.
    // One logit shift for the model (its level on MMLU), by Newton steps, before binning.
    let a = 0;
    for (let it = 0; it < 20; it++) {
      let g = 0;
      let h = 0;
      for (const r of fold0) {
        const p = sigmoid(r.logits[m] + a);
        g += r.scores[m] - p;
        h += p * (1 - p);
      }
      a += g / h;
    }
    const sorted = [...fold0].sort((a, b) => a.spreads[m] - b.spreads[m]);
    for (let b = 0; b < 4; b++) {
      const part = sorted.slice(Math.floor((b * sorted.length) / 4), Math.floor(((b + 1) * sorted.length) / 4));
      const err = part.reduce((t, r) => t + (r.scores[m] - sigmoid(r.logits[m] + a)) ** 2, 0) / part.length;
      const ll =
        part.reduce((t, r) => {
          const p = sigmoid(r.logits[m] + a);
          return t - (r.scores[m] ? Math.log(p) : Math.log(1 - p));
        }, 0) / part.length;
      const mean = part.reduce((t, r) => t + r.scores[m], 0) / part.length;
      const pm = part.reduce((t, r) => t + sigmoid(r.logits[m] + a), 0) / part.length;
      console.log(
        `  quartile ${b}: brier (shifted) ${err.toFixed(4)} logloss ${ll.toFixed(4)} mean score ${mean.toFixed(3)} prior ${pm.toFixed(3)}`,
      );
    }
  }
}
main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
