// Fugusashi 0.3.0's spellings of `fugusashi serve` flags (click): `-c FILE` / `-cFILE` for --config,
// and `--reload` (uvicorn's code reload), which has no meaning for a bundled daemon that already
// reloads config.yaml when it changes. Rewritten here, before the one flag parser, so scripts and
// service files written for 0.3.0 keep starting the daemon.

/** `argv` of `fugusashi serve` in today's spelling; `note` hears about flags that do nothing here. */
export function serveArgsFrom030(argv: readonly string[], note: (line: string) => void): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (arg === '-c') out.push('--config');
    else if (arg.startsWith('-c') && arg.length > 2 && !arg.startsWith('-c-')) out.push('--config', arg.slice(2));
    else if (arg === '--reload')
      note('fugusashi serve: --reload (0.3.0) is not needed: the daemon reloads config.yaml when it changes\n');
    else out.push(arg);
  }
  return out;
}
