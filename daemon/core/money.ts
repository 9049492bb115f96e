// Comparing USD amounts against a limit (orchestrator and cascade budgets). Sums of binary
// floating-point amounts are off by ~1e-17 (0.1 + 0.2 > 0.3), which refused the step that brings a
// run exactly to its limit: a difference below a billionth of the limit (or a picodollar) is
// rounding, not spending.

/** Whether spending `totalUsd` passes `limitUsd` (reaching it exactly does not). */
export function passesLimit(totalUsd: number, limitUsd: number): boolean {
  return totalUsd - limitUsd > Math.max(1e-12, limitUsd * 1e-9);
}
