// Follows the daemon's log file (D/daemon.log) into an output channel. The daemon runs detached and
// may have been started by another window, so its stdout is not ours: the file is the shared log.
import { open, stat } from 'node:fs/promises';

export class LogTail {
  private offset: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading = false;
  private following: string | undefined;

  constructor(
    /** The log's path, read at each poll: another data directory (a settings change) has another log. */
    private readonly logFile: string | (() => string),
    private readonly write: (text: string) => void,
    private readonly intervalMs = 500,
  ) {}

  /** Starts at the last `backlogBytes` of the file so the channel shows recent context. */
  start(backlogBytes = 8192): void {
    this.stop();
    this.offset = undefined;
    const tick = () => void this.poll(backlogBytes);
    tick();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads what was appended since the last poll (exposed for tests: no waiting on the timer). */
  async poll(backlogBytes = 0): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const file = typeof this.logFile === 'function' ? this.logFile() : this.logFile;
      if (file !== this.following) {
        this.following = file;
        this.offset = undefined;
      }
      const { size } = await stat(file);
      if (this.offset === undefined) this.offset = Math.max(0, size - backlogBytes);
      if (size < this.offset) this.offset = 0; // truncated or replaced by a new daemon
      if (size === this.offset) return;
      const fh = await open(file, 'r');
      try {
        const buf = Buffer.alloc(size - this.offset);
        const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
        this.offset += bytesRead;
        this.write(buf.subarray(0, bytesRead).toString('utf8'));
      } finally {
        await fh.close();
      }
    } catch {
      // no log yet (daemon not started): try again next tick
    } finally {
      this.reading = false;
    }
  }
}
