// Research (issue 10, in-domain with the prior): runs `fugusashi benchmark FILE --folds 5
// --prior-in-domain --prior-data DATA` on every fold (fold 0 included, so settings can be chosen on
// it) and writes each row's views (the router's blend, kNN, heads, words, its fold's prior alone,
// kNN evidence) as JSON, for offline blends (indomain-stack.ts).
//   node --import tsx scripts/research/indomain-views.ts FILE OUT.json [--strong M --weak M]
//     [--eval-folds 0] [--model '{"residualK":200}'] (QualityModelOptions overrides) [--no-prior]
// Round prior9, MMLU fold 0 only (router .664 shipped): the residual kNN over 100 neighbours at
// kernel 0.15 .665 (its kNN view .664); over 1,500 neighbours .681 (its kNN view .654, heads .684:
// the cross-fit then chose the store alone, whose own fold-0 figure is .6885, indomain-stack.ts).
// A full run (all folds, ~20 min on the busy machine) reproduces the README's .691 on folds 1–4.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runBenchmarkDetailed } from '../../daemon/benchmark/run';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      strong: { type: 'string', default: 'gpt-4-1106-preview' },
      weak: { type: 'string', default: 'mistralai/Mixtral-8x7B-Instruct-v0.1' },
      data: { type: 'string', default: '/work/shared/eval-data' },
      model: { type: 'string' },
      /** Score only these folds (e.g. 0 while choosing a setting). */
      'eval-folds': { type: 'string' },
      /** The store alone: no prior at all (the plain 5-fold run). */
      'no-prior': { type: 'boolean', default: false },
    },
  });
  const [file, out] = positionals;
  if (!file || !out) throw new Error('usage: indomain-views.ts FILE OUT.json');
  const result = await runBenchmarkDetailed(
    {
      file,
      folds: 5,
      strong: values.strong,
      weak: values.weak,
      ...(!values['no-prior'] && { priorInDomain: true, priorData: values.data }),
      keepViews: true,
      ...(values.model && { model: JSON.parse(values.model) as object }),
      ...(values['eval-folds'] && { evalFolds: values['eval-folds'].split(',').map(Number) }),
    },
    (p) => process.stderr.write(`${p.phase} ${p.done}/${p.total}\n`),
  );
  writeFileSync(out, JSON.stringify({ report: result.report, views: result.views }));
  console.log(JSON.stringify({ apgr: result.report.apgr, variants: result.report.variants }));
}
void main();
