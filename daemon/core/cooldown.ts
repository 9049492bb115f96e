// A per-model circuit breaker: after N consecutive upstream failures a model sits out for S
// seconds, so requests stop paying for its timeouts. An upstream 429 with Retry-After cools the
// model for exactly that long (the upstream said so). When a cooldown ends the model is half-open:
// one probe request goes through while every other request goes elsewhere; the probe's success
// closes the circuit, its failure opens it again. A model with no recorded success yet takes only a
// few requests at a time, so a model that hangs from the start is not entered by a herd before
// its first failure is known. The clock is injected to keep the core deterministic.

export interface CooldownOptions {
  /** Consecutive failures that start a cooldown. */
  failures: number;
  /** Cooldown length; 0 disables cooldowns (and the half-open probe). */
  seconds: number;
  /** ms since epoch. */
  now: () => number;
}

/** Longest cooldown an upstream's Retry-After may ask for (a bogus value must not bench a model for days). */
export const MAX_RETRY_AFTER_SECONDS = 3600;

/** Concurrent requests a model with no recorded success may take before others are preferred. */
export const UNPROVEN_IN_FLIGHT = 2;

interface ModelHealth {
  consecutiveFailures: number;
  coolingUntil: number;
  /** The current (or last) cooldown came from an upstream 429. */
  rateLimited: boolean;
  /** When the half-open probe went out (0: none in flight). */
  probeSince: number;
}

export type Admission =
  | { admitted: true; probe: boolean }
  | {
      admitted: false;
      /** cooling: in cooldown; probing: half-open with its probe in flight; busy: unproven and at its cap. */
      reason: 'cooling' | 'probing' | 'busy';
      /** When trying again makes sense (whole seconds, ≥ 1). */
      retryAfterSeconds: number;
      rateLimited: boolean;
    };

export class CooldownTracker {
  private readonly health = new Map<string, ModelHealth>();
  /** Models that answered successfully at least once since the daemon started. */
  private readonly proven = new Set<string>();
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly options: CooldownOptions) {}

  /**
   * Counts a failure. Once a cooldown has expired the count is kept, so the first failure of the
   * model's probe request puts it straight back. `retryAfterSeconds` (an upstream 429's Retry-After)
   * cools the model at once for that long.
   */
  recordFailure(model: string, retryAfterSeconds?: number): void {
    const h = this.health.get(model) ?? { consecutiveFailures: 0, coolingUntil: 0, rateLimited: false, probeSince: 0 };
    h.consecutiveFailures++;
    const now = this.options.now();
    if (this.options.seconds > 0) {
      if (retryAfterSeconds !== undefined && retryAfterSeconds > 0) {
        const seconds = Math.min(retryAfterSeconds, MAX_RETRY_AFTER_SECONDS);
        h.coolingUntil = Math.max(h.coolingUntil, now + seconds * 1000);
        h.rateLimited = true;
        // After a rate-limit cooldown, one probe first (as after any other cooldown).
        h.consecutiveFailures = Math.max(h.consecutiveFailures, this.options.failures);
      } else if (h.consecutiveFailures >= this.options.failures) {
        h.coolingUntil = now + this.options.seconds * 1000;
        h.rateLimited = false;
      }
    }
    this.health.set(model, h);
  }

  recordSuccess(model: string): void {
    this.health.delete(model);
    this.proven.add(model);
  }

  isCoolingDown(model: string): boolean {
    const h = this.health.get(model);
    return h !== undefined && h.coolingUntil > this.options.now();
  }

  /**
   * Asks to send one request to `model`. Admitted requests must be ended with `release` (whatever
   * their outcome). `maxUnproven` caps concurrent requests to a model that never succeeded.
   */
  admit(model: string, maxUnproven = UNPROVEN_IN_FLIGHT): Admission {
    const h = this.health.get(model);
    let probe = false;
    if (h && this.options.seconds > 0) {
      const now = this.options.now();
      if (h.coolingUntil > now) {
        return {
          admitted: false,
          reason: 'cooling',
          retryAfterSeconds: Math.max(1, Math.ceil((h.coolingUntil - now) / 1000)),
          rateLimited: h.rateLimited,
        };
      }
      if (h.consecutiveFailures >= this.options.failures) {
        // Half-open. A probe that never reported back (a lost release) must not block the model for
        // ever: after one more cooldown length another probe may go.
        if (h.probeSince > 0 && now - h.probeSince < this.options.seconds * 1000) {
          return { admitted: false, reason: 'probing', retryAfterSeconds: 1, rateLimited: h.rateLimited };
        }
        h.probeSince = now;
        probe = true;
      }
    }
    const busy = this.inFlight.get(model) ?? 0;
    if (!probe && busy >= maxUnproven && !this.proven.has(model)) {
      return { admitted: false, reason: 'busy', retryAfterSeconds: 1, rateLimited: false };
    }
    this.inFlight.set(model, busy + 1);
    return { admitted: true, probe };
  }

  /** Ends an admitted request (after its success or failure was recorded). */
  release(model: string, probe: boolean): void {
    const busy = this.inFlight.get(model) ?? 0;
    if (busy <= 1) this.inFlight.delete(model);
    else this.inFlight.set(model, busy - 1);
    if (probe) {
      const h = this.health.get(model);
      if (h) h.probeSince = 0;
    }
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
