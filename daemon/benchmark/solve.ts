// A small dense linear solve shared by the prior's training and its research scripts.

/** Gauss–Jordan on [A | b] (symmetric positive definite: the ridge keeps it so). */
export function solveAugmented(M: Float64Array[]): Float64Array {
  const n = M.length;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r]![c]! / M[c]![c]!;
      if (f === 0) continue;
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  return Float64Array.from(M, (r, i) => r[n]! / r[i]!);
}
