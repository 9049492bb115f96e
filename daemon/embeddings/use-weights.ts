// USE's graph loaded with its weights read straight from the shard files into one buffer and handed
// to tfjs as views of it. tfjs's own file loader reads each shard into its own buffer, concatenates
// them into a 27 MB one, then copies every weight out of it (`ArrayBuffer.slice`, up to 8 MB)
// before the WASM backend copies it once more into WASM memory. Each of those buffers, once freed,
// raises glibc's dynamic mmap threshold to its size and the trim threshold to twice that: from then
// on no malloc arena of the process gave memory back unless 54 MB of it were free at its top
// (`npm run bench:router` measured ~30 MB of the daemon's RSS in arenas that never shrank).
//
// Here the only large buffer is the one the shards are read into. It is made larger than
// glibc's largest dynamic threshold (32 MiB): such a buffer is always its own mapping, only the
// pages written count in RSS, and freeing it returns it to the OS without moving any threshold.
// The tensors are the same bytes, so the embeddings are the same (test/integration/embeddings/use.test.ts).
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';

/** A weight of the model's manifest (tfjs's WeightsManifestEntry). */
export interface UseWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

interface ModelJson {
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: UseWeightSpec[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  userDefinedMetadata?: unknown;
}

/** What tfjs's IOHandler.load() returns (ModelArtifacts), as far as a graph model needs. */
export interface UseArtifacts {
  modelTopology: unknown;
  weightSpecs: UseWeightSpec[];
  weightData: ArrayBuffer;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  userDefinedMetadata?: unknown;
}

/**
 * glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit (4 MiB × sizeof(long)) plus a margin: a chunk above
 * it is always mmapped and its free() leaves the dynamic thresholds alone. Other allocators ignore it.
 */
export const ALWAYS_MAPPED_BYTES = 32 * 2 ** 20 + 2 ** 16;

/** model.json and its weight shards, read into one buffer of at least ALWAYS_MAPPED_BYTES. */
export function readUseArtifacts(modelDir: string): UseArtifacts {
  const json = JSON.parse(readFileSync(path.join(modelDir, 'model.json'), 'utf8')) as ModelJson;
  const files = json.weightsManifest.flatMap((group) => group.paths.map((p) => path.join(modelDir, p)));
  const sizes = files.map((f) => statSync(f).size);
  const total = sizes.reduce((s, n) => s + n, 0);
  const weightData = new ArrayBuffer(Math.max(total, ALWAYS_MAPPED_BYTES));
  let offset = 0;
  files.forEach((file, i) => {
    const fd = openSync(file, 'r');
    try {
      const into = new Uint8Array(weightData, offset, sizes[i]);
      for (let done = 0; done < into.length;) {
        const n = readSync(fd, into, done, into.length - done, done);
        if (n === 0) throw new Error(`${file} ended early at byte ${done}`);
        done += n;
      }
    } finally {
      closeSync(fd);
    }
    offset += sizes[i]!;
  });
  return {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    weightData,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    userDefinedMetadata: json.userDefinedMetadata,
  };
}

/** The tfjs calls decodeWeightsAsViews makes. */
export interface TensorMaker<T> {
  tensor(values: Float32Array | Int32Array, shape: number[], dtype: 'float32' | 'int32'): T;
}

/**
 * tfjs's io.decodeWeights without its copies: each weight a tensor made from a view of `buffer`
 * (the backend copies it into its own memory). Undefined when a weight is quantized or of another
 * type, or misaligned for a view: the caller then uses tfjs's own decodeWeights.
 */
export function decodeWeightsAsViews<T>(
  core: TensorMaker<T>,
  buffer: ArrayBuffer,
  specs: readonly UseWeightSpec[],
): Record<string, T> | undefined {
  const plan: { spec: UseWeightSpec; dtype: 'float32' | 'int32'; offset: number; size: number }[] = [];
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.quantization !== undefined || (spec.dtype !== 'float32' && spec.dtype !== 'int32')) return undefined;
    if (offset % 4 !== 0 || offset + 4 * size > buffer.byteLength) return undefined;
    plan.push({ spec, dtype: spec.dtype, offset, size });
    offset += 4 * size;
  }
  const out: Record<string, T> = {};
  for (const { spec, dtype, offset: at, size } of plan) {
    const values = dtype === 'float32' ? new Float32Array(buffer, at, size) : new Int32Array(buffer, at, size);
    out[spec.name] = core.tensor(values, spec.shape, dtype);
  }
  return out;
}
