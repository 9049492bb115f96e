// Embeddings kept on disk so a restart (or a second benchmark run) does not embed the same texts
// again. One append-only file per embedder: records of [16-byte content key][dims × float32].
// Appends are whole records written with one call; a torn last record (crash mid-write) is
// ignored on load, and the file is truncated back to the last whole record before appending.
//
// Only the keys are held in memory (key → record number); a vector is read from the file when
// asked for (one positioned read, served from the OS page cache when warm). Holding every vector
// cost ~2.2 KB per prompt: 110 MB of the daemon's memory at 50k stored prompts. The caller's LRU
// (CachingEmbedder) keeps the hot ones.
import {
  closeSync,
  existsSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { HexKeyTable } from './key-table';

const KEY_BYTES = 16;
/** Records read per chunk when loading the keys. */
const LOAD_CHUNK_RECORDS = 512;

export class DiskEmbeddingCache {
  /** Key → record number (a repeated key: the later record). */
  private readonly records = new HexKeyTable();
  private fd: number | null = null;
  private readonly recordBytes: number;
  private scratch = Buffer.alloc(0);
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
    const fd = this.open();
    const whole = Math.floor(fstatSync(fd).size / this.recordBytes);
    const chunk = Buffer.alloc(LOAD_CHUNK_RECORDS * this.recordBytes);
    for (let first = 0; first < whole; first += LOAD_CHUNK_RECORDS) {
      const n = Math.min(LOAD_CHUNK_RECORDS, whole - first);
      readFully(fd, chunk, n * this.recordBytes, first * this.recordBytes);
      for (let i = 0; i < n; i++) {
        const off = i * this.recordBytes;
        this.records.setBytes(chunk, off, first + i); // a repeated key: the later record wins
      }
    }
  }

  get size(): number {
    return this.records.size;
  }

  /**
   * The stored vector read from the file, or undefined: into `into` when given (`dimensions`
   * floats, e.g. a view into the caller's batch buffer), else into a fresh array.
   */
  get(key: string, into?: Float32Array): Float32Array | undefined {
    const record = this.records.get(key);
    if (record === undefined) return undefined;
    if (into && into.length !== this.dimensions)
      throw new Error(`a vector of ${this.dimensions} floats was asked into ${into.length}`);
    const vec = into ?? new Float32Array(this.dimensions);
    const bytes = new Uint8Array(vec.buffer, vec.byteOffset, vec.byteLength);
    readFully(this.open(), bytes, bytes.length, record * this.recordBytes + KEY_BYTES);
    return vec;
  }

  has(key: string): boolean {
    return this.records.has(key);
  }

  /** Adds entries (keys are 32 hex chars) and appends them to the file. */
  putMany(entries: readonly { key: string; vector: Float32Array }[]): void {
    const fresh: { key: string; vector: Float32Array }[] = [];
    const seen = new Set<string>();
    for (const e of entries) {
      if (this.records.has(e.key) || seen.has(e.key) || e.vector.length !== this.dimensions) continue;
      seen.add(e.key);
      fresh.push(e);
    }
    if (fresh.length === 0) return;
    const bytes = fresh.length * this.recordBytes;
    // One scratch buffer, reused by every call: a fresh half-megabyte buffer per batch of 256 left
    // holes in malloc's heap that the daemon's RSS kept (and, freed, raised glibc's mmap threshold).
    if (this.scratch.length < bytes) this.scratch = Buffer.allocUnsafe(Math.max(bytes, 2 * this.scratch.length));
    const out = this.scratch.subarray(0, bytes);
    fresh.forEach((e, i) => {
      const off = i * this.recordBytes;
      out.write(e.key, off, KEY_BYTES, 'hex');
      out.set(new Uint8Array(e.vector.buffer, e.vector.byteOffset, e.vector.byteLength), off + KEY_BYTES);
    });
    const fd = this.open();
    const first = fstatSync(fd).size / this.recordBytes;
    writeSync(fd, out);
    fresh.forEach((e, i) => this.records.set(e.key, first + i));
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

/** Reads exactly `length` bytes at `position` (readSync may return fewer). */
function readFully(fd: number, into: Uint8Array, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, into, done, length - done, position + done);
    if (n === 0) throw new Error(`embedding cache file ended early at byte ${position + done}`);
    done += n;
  }
}

/**
 * Every whole record of a cache file, read once and never written: for scripts that read a cache
 * another process may be appending to (a DiskEmbeddingCache would truncate its torn last record).
 */
export function readCacheFile(file: string, dimensions: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  if (!existsSync(file)) return out;
  const data = readFileSync(file);
  const recordBytes = KEY_BYTES + dimensions * 4;
  for (let off = 0; off + recordBytes <= data.length; off += recordBytes) {
    const vector = new Float32Array(dimensions);
    new Uint8Array(vector.buffer).set(data.subarray(off + KEY_BYTES, off + recordBytes));
    out.set(data.toString('hex', off, off + KEY_BYTES), vector);
  }
  return out;
}
