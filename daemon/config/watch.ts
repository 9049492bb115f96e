// Reloads the config file when it changes. fs.watch watches the directory, not the file: editors
// save by writing a temp file and renaming it over the original, which ends a file watch. Events
// come in bursts, so reloads are debounced; an invalid new version is reported and the caller
// keeps the last good config (onReload is simply not called).
import { watch, readFileSync, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors';
import { loadConfigFile, type ResolvedConfig, type ResolveOptions } from './resolve';

export interface WatchOptions extends ResolveOptions {
  /** Quiet period after the last event before reloading. Default 150 ms. */
  debounceMs?: number;
}

/**
 * Calls `onReload` with each new valid config and `onError` when the file becomes unreadable or
 * invalid. Saves that leave the content unchanged do nothing. Returns a disposer.
 */
export function watchConfig(
  file: string,
  onReload: (config: ResolvedConfig, log: string[]) => void,
  onError: (error: Error) => void,
  options: WatchOptions,
): () => void {
  const absolute = path.resolve(file);
  const dir = path.dirname(absolute);
  const base = path.basename(absolute);
  let lastText = readText(absolute);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const reload = () => {
    timer = undefined;
    if (closed) return;
    const text = readText(absolute);
    if (text === undefined) {
      // After the quiet period a rename-over has finished, so a missing file is really gone.
      if (lastText !== undefined)
        onError(new ConfigError(absolute, ['the file was removed; keeping the last good config']));
      lastText = undefined;
      return;
    }
    if (text === lastText) return;
    lastText = text;
    try {
      const result = loadConfigFile(absolute, options);
      onReload(result.config, result.log);
    } catch (error) {
      onError(error instanceof Error ? error : new Error(String(error)));
    }
  };

  let watcher: FSWatcher;
  try {
    watcher = watch(dir, { persistent: false }, (_event, name) => {
      // Some platforms give no name; then any change in the directory may be ours.
      if (name !== null && name !== base) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(reload, options.debounceMs ?? 150);
    });
  } catch (error) {
    onError(error instanceof Error ? error : new Error(String(error)));
    return () => {};
  }
  watcher.on('error', (error) => onError(error));
  return () => {
    closed = true;
    if (timer) clearTimeout(timer);
    watcher.close();
  };
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
