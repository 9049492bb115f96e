// A writable that keeps what is written, for commands that take stdout/stderr streams (the CLI).
import { Writable } from 'node:stream';

export type TextSink = Writable & { text: () => string };

export function sink(): TextSink {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as TextSink;
  w.text = () => chunks.join('');
  return w;
}
