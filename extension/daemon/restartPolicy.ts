// Bounded restarts after a crash: at most `max` within `windowMs` (vscode-languageclient's default
// handler allows 4 in 3 minutes). Pure; the clock is injected for tests.
export class RestartPolicy {
  private readonly restarts: number[] = [];

  constructor(
    private readonly max: number,
    private readonly windowMs = 180_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a crash; true when another restart is allowed. */
  shouldRestart(): boolean {
    const t = this.now();
    while (this.restarts.length && t - (this.restarts[0] ?? t) > this.windowMs) this.restarts.shift();
    if (this.restarts.length >= this.max) return false;
    this.restarts.push(t);
    return true;
  }

  /** Restarts used in the current window (shown in the status). */
  get used(): number {
    return this.restarts.length;
  }

  reset(): void {
    this.restarts.length = 0;
  }
}
