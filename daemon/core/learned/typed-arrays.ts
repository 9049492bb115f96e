// Growable typed-array columns: the learned model keeps 100k points and outcomes in flat arrays
// (an object or a small array per entry costs tens of bytes more each).

export type TypedArray = Int32Array | Uint16Array | Uint32Array | Float32Array | Float64Array;

/** `a` itself when it holds `length` elements, else a copy with room for at least that many. */
export function withLength<T extends TypedArray>(a: T, length: number, Ctor: new (length: number) => T): T {
  if (a.length >= length) return a;
  const b = new Ctor(Math.max(length, 2 * a.length));
  b.set(a);
  return b;
}
