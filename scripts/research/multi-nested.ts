// Research (not shipped): the nested multi-model figures of `fugusashi benchmark FILE --folds 5
// --stack` for variants of the stack — without the IRT view and on at most N training rows per
// outer fold, as the live router's stack (daemon/core/learned/multi-stack-live.ts) is fitted.
//   node --import tsx scripts/research/multi-nested.ts DATA.csv [--no-irt] [--max-train N] [--out F]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { embeddedCompleteRows } from '../multi-rows';
import { multiNestedReport, stackedFolds } from '../../daemon/benchmark/multi-run';
import type { Prepared } from '../../daemon/benchmark/run';
import { seededRandom } from '../../daemon/benchmark/folds';
import { Projection } from '../../daemon/core/learned/multi-projection';
import { textFeatures } from '../../daemon/core/learned/features';
import { MULTI_VIEW_OPTIONS } from '../../daemon/core/learned/multi-stack-live';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'no-irt': { type: 'boolean' },
      'max-train': { type: 'string' },
      project: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const file = positionals[0];
  if (!file) throw new Error('usage: multi-nested.ts DATA.csv [--no-irt] [--max-train N] [--out F]');
  const { table, rows, vectors, embedder, disk } = await embeddedCompleteRows(file);
  // --project N: the live stack's projection of the embeddings (fitted here on every row's
  // embedding, no scores: unsupervised, the live stack fits it on the prompts it learns from).
  if (values.project !== undefined) {
    const projection = await Projection.fit(vectors, Number(values.project), seededRandom(7));
    vectors.forEach((v, i) => (vectors[i] = projection.apply(v)));
  }
  const scale = (s: number) => (table.max > table.min ? (s - table.min) / (table.max - table.min) : s);
  const prepared: Prepared[] = rows.map((row, i) => ({
    row,
    key: embedder.keyOf(row.prompt),
    vector: vectors[i]!,
    features: textFeatures(row.prompt),
    learnScores: row.scores.map((s) => (s === null ? null : scale(s))),
    priorLogits: null,
  }));
  const started = Date.now();
  const result = await stackedFolds(
    prepared,
    table.models,
    vectors[0]!.length,
    MULTI_VIEW_OPTIONS,
    1,
    5,
    (phase, done, total) => process.stderr.write(`\r${phase} ${done}/${total}`),
    {
      irt: values['no-irt'] !== true,
      maxTrainRows: values['max-train'] === undefined ? undefined : Number(values['max-train']),
    },
  );
  const report = {
    file: table.name,
    irt: values['no-irt'] !== true,
    max_train_rows: values['max-train'] ?? null,
    projected_to: values.project ?? null,
    seconds: Math.round((Date.now() - started) / 1000),
    ...multiNestedReport(prepared, table.models, result),
  };
  process.stderr.write('\n');
  const text = JSON.stringify(report, null, 2);
  if (values.out) writeFileSync(values.out, text);
  console.log(
    JSON.stringify({
      file: report.file,
      irt: report.irt,
      max: report.max_train_rows,
      project: report.projected_to,
      outside: report.outside_tuning_split,
      all: report.all,
    }),
  );
  disk.close();
}
void main();
