// `fugusashi import FILE`: the other half of `fugusashi export`. Sends a file of outcomes (export's
// JSON lines, a JSON array of {prompt, model, score}, or a CSV score table) to the running daemon's
// POST /v1/routing/training, which stores them and folds them into the learner at once.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './app/flags';

export const IMPORT_HELP = `Usage: fugusashi import FILE [--data-dir DIR] [--token T]

Adds the outcomes in FILE to the running daemon's store, where the router learns from them at once:
the JSON lines \`fugusashi export\` writes (.jsonl), a JSON array of {prompt, model, score} rows (.json, or {"rows": [...]}),
a CSV score table (.csv), or Fugusashi 0.3.0's .fugusashi_data/outcomes.jsonl (its rated answers). Each row counts with its own weight when it has one. The daemon of the
data dir must be running (fugusashi serve). Importing a file again stores only the rows not imported
before: a 0.3.0 record by its request id or timestamp and its rating's score, counted per score (re-rated
since, it adds each new rating, 5 then 2 then 5 as three; a later rating in a file of its own is new if its
score is, while the same score again arriving without the earlier rating is taken for it), a row with a uid column by its uid, model,
prompt and occurrence, a line of \`fugusashi export\` by its id and content (so an export taken again brings only
the new outcomes), any other row by the file and its position in it.`;

export interface ImportDeps {
  dataDir: string;
  token?: string;
  runningDaemon(dataDir: string): Promise<{ url: string; info: { pid: number } } | null>;
  out(text: string): void;
}

/**
 * FILE as the training route reads a whole file: JSON lines or CSV, by its Content-Type. A JSON
 * array goes as JSON lines, one row a line: the route takes a JSON array body as rows a tool sends
 * (each stored every time, like ratings), while a file imported again must add nothing twice.
 */
function fileBody(file: string, text: string): { contentType: string; body: string } {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return { contentType: 'text/csv', body: text };
  if (ext === '.json' || text.trimStart().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    // The route's two JSON shapes, `[...]` and `{rows: [...]}`, are both a file here.
    const rows = Array.isArray(parsed) ? parsed : (parsed as { rows?: unknown } | undefined)?.rows;
    // Neither: sent as it is, and the daemon says what is wrong with it.
    if (Array.isArray(rows))
      return { contentType: 'application/x-ndjson', body: rows.map((row) => JSON.stringify(row)).join('\n') + '\n' };
    return { contentType: 'application/json', body: text };
  }
  return { contentType: 'application/x-ndjson', body: text };
}

export async function importOutcomes(file: string, deps: ImportDeps): Promise<number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const daemon = await deps.runningDaemon(deps.dataDir);
  if (!daemon)
    throw new Error(`no daemon is running for ${deps.dataDir}: start it (fugusashi serve), then import again`);
  const { contentType, body: sent } = fileBody(file, text);
  const res = await fetch(`${daemon.url}/v1/routing/training`, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      ...(deps.token ? { authorization: `Bearer ${deps.token}` } : {}),
    },
    body: sent,
  });
  const body = (await res.json().catch(() => ({}))) as {
    added?: number;
    already_imported?: number;
    queued?: number;
    skipped?: number;
    warning?: string;
    error?: { message?: string };
  };
  if (!res.ok) throw new Error(body.error?.message ?? `daemon answered ${res.status}`);
  // Run twice (after an error, or to be sure), an import stores nothing new: say so, so nobody
  // wonders where the rows went.
  const again = body.already_imported ? `, skipped ${body.already_imported} already imported` : '';
  const into = `from ${file} into the running daemon (pid ${daemon.info.pid})`;
  // Rows queued are accepted, not lost: said first, since "imported 0 outcome(s)" above the
  // queued line read like a failed import.
  if (body.queued) {
    const added = body.added ? `, imported ${body.added}` : '';
    deps.out(`accepted ${body.queued} outcome(s) ${into}, queued for the team database${added}${again}\n`);
    deps.out(
      `the team database is unavailable or slow, so which of them it already holds is not known yet; they are ` +
        `stored when it takes them (rows it holds are not stored twice), and fugusashi import run again then ` +
        `counts them as already imported\n`,
    );
  } else deps.out(`imported ${body.added ?? 0} outcome(s) ${into}${again}\n`);
  if (body.skipped)
    deps.out(
      `skipped ${body.skipped} Fugusashi 0.3.0 record(s) with nothing to learn from (not rated, or the request failed)\n`,
    );
  // Rows under names the pool does not have are stored and change nothing for routing: say which.
  if (body.warning) deps.out(`warning: ${body.warning}\n`);
  return 0;
}
