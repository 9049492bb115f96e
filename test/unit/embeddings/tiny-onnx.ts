// Writes a tiny sentence-embedding model that transformers.js can load offline: a BERT-typed
// config, a word-level tokenizer and an ONNX graph that looks each token up in an embedding table
// and masks padding (last_hidden_state = Gather(table, input_ids) · attention_mask). Words of the
// same topic share a direction, so mean-pooled sentences about one topic are close. The ONNX
// protobuf is encoded by hand (no onnx package needed): only the fields this graph uses.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, n: number) => [...key(field, 0), ...varint(n)];
const bytes = (field: number, b: Uint8Array | number[]) => [...key(field, 2), ...varint(b.length), ...b];
const str = (field: number, s: string) => bytes(field, [...Buffer.from(s, 'utf8')]);
const msg = (field: number, body: number[]) => bytes(field, body);

const FLOAT = 1;
const INT64 = 7;

function tensorType(elem: number, dims: (number | string)[]): number[] {
  const shape = dims.flatMap((d) => msg(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  return msg(1, [...int(1, elem), ...msg(2, shape)]);
}
const valueInfo = (field: number, name: string, elem: number, dims: (number | string)[]) =>
  msg(field, [...str(1, name), ...msg(2, tensorType(elem, dims))]);
const node = (op: string, inputs: string[], outputs: string[], attrs: number[] = []) =>
  msg(1, [...inputs.flatMap((i) => str(1, i)), ...outputs.flatMap((o) => str(2, o)), ...str(4, op), ...attrs]);
const intAttr = (name: string, value: number) => msg(5, [...str(1, name), ...int(3, value), ...int(20, 2)]); // type INT = 2
function initializer(name: string, elem: number, dims: number[], raw: Uint8Array): number[] {
  return msg(5, [...dims.flatMap((d) => int(1, d)), ...int(2, elem), ...str(8, name), ...bytes(9, raw)]);
}

export const TINY_TOPICS: Record<string, string[]> = {
  code: ['python', 'code', 'function', 'list', 'reverse', 'linked', 'write', 'sort', 'program'],
  weather: ['rain', 'weather', 'paris', 'tomorrow', 'sunny', 'cloudy', 'forecast', 'cold'],
};

/** Creates the model folder and returns its path. */
export function writeTinyModel(dir: string, hidden = 8): string {
  const folder = path.join(dir, 'tiny-embedder');
  mkdirSync(path.join(folder, 'onnx'), { recursive: true });
  const vocab: Record<string, number> = { '[UNK]': 0, '[PAD]': 1 };
  const rows: number[][] = [new Array<number>(hidden).fill(0.01), new Array<number>(hidden).fill(0)];
  Object.values(TINY_TOPICS).forEach((words, topic) => {
    words.forEach((w, i) => {
      vocab[w] = rows.length;
      const v = new Array<number>(hidden).fill(0);
      v[topic] = 1; // the topic direction
      v[2 + (i % (hidden - 2))] = 0.2; // a little per-word detail
      rows.push(v);
    });
  });
  const table = new Float32Array(rows.flat());
  const axes = new BigInt64Array([2n]);
  const graph = [
    ...node('Gather', ['table', 'input_ids'], ['embedded'], intAttr('axis', 0)),
    ...node('Cast', ['attention_mask'], ['mask_f'], intAttr('to', FLOAT)),
    ...node('Unsqueeze', ['mask_f', 'axes'], ['mask_3d']),
    ...node('Mul', ['embedded', 'mask_3d'], ['last_hidden_state']),
    ...str(2, 'tiny'),
    ...initializer('table', FLOAT, [rows.length, hidden], new Uint8Array(table.buffer)),
    ...initializer('axes', INT64, [1], new Uint8Array(axes.buffer)),
    ...valueInfo(11, 'input_ids', INT64, ['batch', 'sequence']),
    ...valueInfo(11, 'attention_mask', INT64, ['batch', 'sequence']),
    ...valueInfo(12, 'last_hidden_state', FLOAT, ['batch', 'sequence', hidden]),
  ];
  const model = [
    ...int(1, 8),
    ...str(2, 'fugusashi-test'),
    ...msg(7, graph),
    ...msg(8, [...str(1, ''), ...int(2, 13)]),
  ];
  writeFileSync(path.join(folder, 'onnx', 'model.onnx'), Buffer.from(model));

  writeFileSync(
    path.join(folder, 'config.json'),
    JSON.stringify({ model_type: 'bert', architectures: ['BertModel'], hidden_size: hidden, vocab_size: rows.length }),
  );
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  writeFileSync(
    path.join(folder, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [special(0, '[UNK]'), special(1, '[PAD]')],
      normalizer: { type: 'Lowercase' },
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: null,
      model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
    }),
  );
  writeFileSync(
    path.join(folder, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: 'PreTrainedTokenizer',
      model_max_length: 128,
      pad_token: '[PAD]',
      unk_token: '[UNK]',
    }),
  );
  return folder;
}
