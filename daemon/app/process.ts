// The daemon as an OS process (`fugusashi serve`, `node dist/daemon.js`): flags, the log file,
// signals and the exit code. SIGINT/SIGTERM/SIGHUP are handled from the first moment: a signal that
// arrives while the daemon is still starting stops it as soon as the start has finished, through
// the same shutdown as later (no half-started store left to crash on). SIGHUP is what closing the
// terminal of a hand-started `fugusashi serve` sends (its launcher hands it on): uncaught, it killed
// the daemon without removing daemon.json and its sockets or writing the final snapshot.
import { appendFileSync } from 'node:fs';
import { parseDaemonFlags } from './flags';
import { startDaemon } from '../main';
import { stopWhenLauncherGoes } from './malloc-arenas';
import { DaemonStartError } from './types';

/** `node dist/daemon.js [--config F] [--data-dir D] [--host H] [--port N] [--idle-shutdown-seconds S] [--log-file F] [--cost-weight N] [--exploration-rate R]` */
export async function runDaemonProcess(argv: readonly string[]): Promise<number> {
  const flags = parseDaemonFlags(argv);
  const log = (line: string): void => {
    const text = `${new Date().toISOString()} ${line}\n`;
    process.stderr.write(text);
    if (flags.logFile) {
      try {
        appendFileSync(flags.logFile, text);
      } catch {
        // a log file we cannot write must not take the daemon down
      }
    }
  };
  let stopRequested: string | null = null;
  let stop = (signal: string): void => {
    stopRequested = signal;
  };
  const onSigint = (): void => stop('SIGINT');
  const onSigterm = (): void => stop('SIGTERM');
  const onSighup = (): void => stop('SIGHUP');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  process.on('SIGHUP', onSighup);
  stopWhenLauncherGoes((reason) => stop(reason));
  try {
    let daemon;
    try {
      daemon = await startDaemon({ ...flags, log });
    } catch (err) {
      log(`fugusashi: ${err instanceof Error ? err.message : String(err)}`);
      return err instanceof DaemonStartError ? err.exitCode : 1;
    }
    stop = (signal) => void daemon.close(signal);
    if (stopRequested) stop(stopRequested);
    await daemon.closed;
    // Sockets kept alive by clients must not keep a stopped daemon around.
    setTimeout(() => process.exit(0), 500).unref();
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    process.off('SIGHUP', onSighup);
  }
}
