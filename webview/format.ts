// Number and time formatting for people (the daemon sends raw numbers).
export function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** "1 error", "3 errors": a count with its noun in the singular when there is one. */
export function formatCountOf(n: number, noun: string): string {
  return `${formatInt(n)} ${noun}${Math.round(n) === 1 ? '' : 's'}`;
}

/** Compact token counts: 950, 12.3k, 4.5M. */
export function formatCount(n: number): string {
  if (Math.abs(n) < 1000) return String(Math.round(n));
  if (Math.abs(n) < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** US dollars with enough digits to show sub-cent per-request costs. */
export function formatUsd(n: number): string {
  if (n === 0) return '$0';
  const abs = Math.abs(n);
  if (abs >= 100) return `$${n.toFixed(0)}`;
  if (abs >= 1) return `$${n.toFixed(2)}`;
  if (abs >= 0.01) return `$${n.toFixed(3)}`;
  return `$${n.toPrecision(2)}`;
}

export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export function formatPct(x: number | null | undefined, digits = 0): string {
  return x === null || x === undefined ? '–' : `${(x * 100).toFixed(digits)}%`;
}

export function formatTime(ms: number): string {
  const d = new Date(ms);
  const sameDay = new Date().toDateString() === d.toDateString();
  const time = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return sameDay ? time : `${d.toISOString().slice(0, 10)} ${time}`;
}
