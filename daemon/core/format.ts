// Small formatting helpers for explanations users read.

/** "$0.0004", "$0.012", "$1.3", "free"; two significant digits is plenty for an estimate. */
export function formatUsd(usd: number): string {
  if (usd <= 0) return 'free';
  if (usd < 0.00001) return '<$0.00001';
  return '$' + Number(usd.toPrecision(2)).toString();
}
