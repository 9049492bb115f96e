// Idle shutdown: a daemon VS Code started exits `idleSeconds` after its last window left and the
// last HTTP request came in (0 = never, the default of `fugusashi serve`).
export class IdleWatchdog {
  private lastActivity = Date.now();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly idleSeconds: number,
    private readonly clientCount: () => number,
    private readonly onIdle: (reason: string) => void,
  ) {}

  /** When the last HTTP request came in or window left (Date.now() ms). */
  get lastActivityAt(): number {
    return this.lastActivity;
  }

  /** Something happened (an HTTP request, a window leaving): the idle clock restarts. */
  touch(): void {
    this.lastActivity = Date.now();
  }

  start(): void {
    if (this.idleSeconds <= 0 || this.timer) return;
    const periodMs = Math.min(5000, Math.max(200, (this.idleSeconds * 1000) / 4));
    this.timer = setInterval(() => {
      if (this.clientCount() === 0 && Date.now() - this.lastActivity >= this.idleSeconds * 1000)
        this.onIdle(`idle for ${this.idleSeconds}s`);
    }, periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
