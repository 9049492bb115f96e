// A per-model circuit breaker: after N consecutive upstream failures a model sits out for S
// seconds, so requests stop paying for its timeouts. Any success resets its count. The clock is
// injected to keep the core deterministic.

export interface CooldownOptions {
  /** Consecutive failures that start a cooldown. */
  failures: number;
  /** Cooldown length; 0 disables cooldowns. */
  seconds: number;
  /** ms since epoch. */
  now: () => number;
}

interface ModelHealth {
  consecutiveFailures: number;
  coolingUntil: number;
}

export class CooldownTracker {
  private readonly health = new Map<string, ModelHealth>();

  constructor(private readonly options: CooldownOptions) {}

  /**
   * Counts a failure. Once a cooldown has expired the count is kept, so the first failure of the
   * model's trial request puts it straight back (half-open, as circuit breakers do).
   */
  recordFailure(model: string): void {
    const h = this.health.get(model) ?? { consecutiveFailures: 0, coolingUntil: 0 };
    h.consecutiveFailures++;
    if (h.consecutiveFailures >= this.options.failures && this.options.seconds > 0) {
      h.coolingUntil = this.options.now() + this.options.seconds * 1000;
    }
    this.health.set(model, h);
  }

  recordSuccess(model: string): void {
    this.health.delete(model);
  }

  isCoolingDown(model: string): boolean {
    const h = this.health.get(model);
    return h !== undefined && h.coolingUntil > this.options.now();
  }

  /** Seconds left in a model's cooldown (0 when not cooling down). */
  remainingSeconds(model: string): number {
    const h = this.health.get(model);
    if (!h) return 0;
    return Math.max(0, (h.coolingUntil - this.options.now()) / 1000);
  }

  /** Models currently cooling down, for /health and the dashboard. */
  coolingDown(): { model: string; consecutive_failures: number; remaining_s: number }[] {
    const out: { model: string; consecutive_failures: number; remaining_s: number }[] = [];
    for (const [model, h] of this.health) {
      const remaining = (h.coolingUntil - this.options.now()) / 1000;
      if (remaining > 0) out.push({ model, consecutive_failures: h.consecutiveFailures, remaining_s: remaining });
    }
    return out;
  }

  /** gateway (issue 12): every model with recorded failures (cooling down or not), for `fugusashi models`. */
  failures(): { model: string; consecutive_failures: number }[] {
    return [...this.health].map(([model, h]) => ({ model, consecutive_failures: h.consecutiveFailures }));
  }
}
