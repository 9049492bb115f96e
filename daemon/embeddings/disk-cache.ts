// Embeddings kept on disk so a restart (or a second benchmark run) does not embed the same texts
// again. One append-only file per embedder: records of [16-byte content key][dims × float32].
// Appends are whole records written with one call; a torn last record (crash mid-write) is
// ignored on load, and the file is truncated back to the last whole record before appending.
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';

const KEY_BYTES = 16;

export class DiskEmbeddingCache {
  private readonly vectors = new Map<string, Float32Array>();
  private fd: number | null = null;
  private readonly recordBytes: number;
  readonly file: string;

  constructor(
    dir: string,
    embedderId: string,
    readonly dimensions: number,
  ) {
    this.recordBytes = KEY_BYTES + dimensions * 4;
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, `${embedderId.replace(/[^A-Za-z0-9._-]/g, '_')}.${dimensions}.emb`);
    if (existsSync(this.file)) this.load();
  }

  private load(): void {
    const buf = readFileSync(this.file);
    const whole = Math.floor(buf.length / this.recordBytes);
    for (let i = 0; i < whole; i++) {
      const off = i * this.recordBytes;
      const key = buf.subarray(off, off + KEY_BYTES).toString('hex');
      // Copy out: a view into the big buffer would keep all of it alive and be unaligned.
      const vec = new Float32Array(this.dimensions);
      const bytes = new Uint8Array(vec.buffer);
      bytes.set(buf.subarray(off + KEY_BYTES, off + this.recordBytes));
      this.vectors.set(key, vec);
    }
  }

  get size(): number {
    return this.vectors.size;
  }

  get(key: string): Float32Array | undefined {
    return this.vectors.get(key);
  }

  has(key: string): boolean {
    return this.vectors.has(key);
  }

  /** Adds entries (keys are 32 hex chars) and appends them to the file. */
  putMany(entries: readonly { key: string; vector: Float32Array }[]): void {
    const fresh = entries.filter((e) => !this.vectors.has(e.key) && e.vector.length === this.dimensions);
    if (fresh.length === 0) return;
    const out = Buffer.alloc(fresh.length * this.recordBytes);
    fresh.forEach((e, i) => {
      const off = i * this.recordBytes;
      Buffer.from(e.key, 'hex').copy(out, off, 0, KEY_BYTES);
      Buffer.from(e.vector.buffer, e.vector.byteOffset, e.vector.byteLength).copy(out, off + KEY_BYTES);
      this.vectors.set(e.key, e.vector);
    });
    const fd = this.open();
    writeSync(fd, out);
  }

  private open(): number {
    if (this.fd !== null) return this.fd;
    const fd = openSync(this.file, 'a+');
    const size = fstatSync(fd).size;
    const whole = Math.floor(size / this.recordBytes) * this.recordBytes;
    if (whole !== size) ftruncateSync(fd, whole);
    this.fd = fd;
    return fd;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
