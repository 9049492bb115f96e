// A map from 16-byte content keys (32 hex characters, see text.ts) to non-negative integers, in
// typed arrays: an open-addressing table of the keys' four 32-bit words. The disk cache keeps one
// entry per stored prompt; as a Map of strings, 50k entries cost ~30 MB of the daemon's RSS
// (`npm run bench:router`: the strings and the table in V8's heap, and the larger heap V8 then
// keeps), against 20 bytes a slot here. Keys are SHA-256 bits, so their first word is the hash.

const EMPTY = -1;
const KEY_WORDS = 4;

export class HexKeyTable {
  private words = new Uint32Array(0);
  private values = new Int32Array(0);
  private mask = -1;
  private count = 0;
  private readonly probe = new Uint32Array(KEY_WORDS);

  get size(): number {
    return this.count;
  }

  get(key: string): number | undefined {
    if (!this.parse(key) || this.count === 0) return undefined;
    const slot = this.find(this.probe);
    return this.values[slot] === EMPTY ? undefined : this.values[slot];
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Sets a key given as 32 hex characters. */
  set(key: string, value: number): void {
    if (!this.parse(key)) throw new Error(`not a 32-hex-character key: ${JSON.stringify(key)}`);
    this.setWords(this.probe, value);
  }

  /** Sets the key held in bytes [offset, offset + 16) of `bytes` (big-endian words, as in hex). */
  setBytes(bytes: Buffer, offset: number, value: number): void {
    for (let i = 0; i < KEY_WORDS; i++) this.probe[i] = bytes.readUInt32BE(offset + 4 * i);
    this.setWords(this.probe, value);
  }

  private setWords(key: Uint32Array, value: number): void {
    if (value < 0 || !Number.isInteger(value) || value > 0x7fffffff) throw new Error(`bad value ${value}`);
    // At most half full: short probe runs.
    if (2 * (this.count + 1) > this.values.length) this.grow();
    const slot = this.find(key);
    if (this.values[slot] === EMPTY) {
      this.words.set(key, slot * KEY_WORDS);
      this.count++;
    }
    this.values[slot] = value;
  }

  /** The slot holding `key`, or the empty slot where it would go. */
  private find(key: Uint32Array): number {
    for (let slot = key[0]! & this.mask; ; slot = (slot + 1) & this.mask) {
      if (this.values[slot] === EMPTY) return slot;
      const at = slot * KEY_WORDS;
      if (
        this.words[at] === key[0] &&
        this.words[at + 1] === key[1] &&
        this.words[at + 2] === key[2] &&
        this.words[at + 3] === key[3]
      )
        return slot;
    }
  }

  private grow(): void {
    const oldWords = this.words;
    const oldValues = this.values;
    const capacity = Math.max(1024, 2 * oldValues.length);
    this.words = new Uint32Array(capacity * KEY_WORDS);
    this.values = new Int32Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
    const key = new Uint32Array(KEY_WORDS);
    for (let slot = 0; slot < oldValues.length; slot++) {
      if (oldValues[slot] === EMPTY) continue;
      key.set(oldWords.subarray(slot * KEY_WORDS, (slot + 1) * KEY_WORDS));
      const to = this.find(key);
      this.words.set(key, to * KEY_WORDS);
      this.values[to] = oldValues[slot]!;
    }
  }

  /** The key's four words into this.probe; false when it is not 32 hex characters. */
  private parse(key: string): boolean {
    if (key.length !== 2 * 4 * KEY_WORDS) return false;
    for (let w = 0; w < KEY_WORDS; w++) {
      let word = 0;
      for (let i = 0; i < 8; i++) {
        const digit = hexDigit(key.charCodeAt(8 * w + i));
        if (digit < 0) return false;
        word = word * 16 + digit;
      }
      this.probe[w] = word;
    }
    return true;
  }
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}
