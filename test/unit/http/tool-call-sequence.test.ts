// Streamed tool calls one at a time (what the Messages and Responses doors need): an upstream that
// sends its calls one after the other streams each at once; interleaved pieces wait for their call's
// turn; nothing is lost or sent twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ToolCallSequencer, type ToolCallEvent } from '../../../daemon/http/translate/tool-call-sequence';

type Delta = Parameters<ToolCallSequencer['push']>[0];

const head = (index: number): Delta => ({ index, id: `call_${index}`, function: { name: 'f', arguments: '' } });
const piece = (index: number, args: string): Delta => ({ index, function: { arguments: args } });

/** Events as short strings: start#0, 0+{"a", stop#0. */
function play(deltas: Delta[], sequencer = new ToolCallSequencer()): string[][] {
  return deltas.map((delta) => {
    const out: ToolCallEvent[] = [];
    sequencer.push(delta, out);
    return out.map(show);
  });
}

function show(e: ToolCallEvent): string {
  return e.type === 'arguments' ? `${e.call.index}+${e.piece}` : `${e.type}#${e.call.index}`;
}

test('calls sent one after the other stream as they come: the next starts on its first delta', () => {
  assert.deepEqual(play([head(0), piece(0, '{"a":'), piece(0, '1}'), head(1), piece(1, '{"a":2}')]), [
    ['start#0'],
    ['0+{"a":'],
    ['0+1}'],
    ['stop#0', 'start#1'],
    ['1+{"a":2}'],
  ]);
});

test('interleaved pieces: a later call is held until the earlier one has whole arguments', () => {
  const s = new ToolCallSequencer();
  assert.deepEqual(
    play(
      [
        head(0),
        head(1),
        head(2),
        piece(0, '{"c'),
        piece(1, '{"c'),
        piece(2, '{"c":3}'),
        piece(0, '":1}'),
        piece(1, '":2}'),
      ],
      s,
    ),
    [
      ['start#0'],
      [],
      [],
      ['0+{"c'],
      [],
      [],
      // Call 0 is whole: call 1 follows with what it has; call 2 waits for it.
      ['0+":1}', 'stop#0', 'start#1', '1+{"c'],
      // Call 1 is whole: call 2, which was whole already, goes out at once and stays open (the last).
      ['1+":2}', 'stop#1', 'start#2', '2+{"c":3}'],
    ],
  );
  const end: ToolCallEvent[] = [];
  s.finish(end);
  assert.deepEqual(end.map(show), ['stop#2']);
});

test('arguments that never become whole JSON: later calls go out whole when the stream ends', () => {
  const s = new ToolCallSequencer();
  assert.deepEqual(play([head(0), piece(0, '{"broken'), head(1), piece(1, '{"a":'), piece(1, '2}')], s), [
    ['start#0'],
    ['0+{"broken'],
    [],
    [],
    [],
  ]);
  const end: ToolCallEvent[] = [];
  s.finish(end);
  assert.deepEqual(end.map(show), ['stop#0', 'start#1', '1+{"a":2}', 'stop#1']);
  assert.equal(s.streaming, false);
});

test('a held call takes a name that arrives after its first delta', () => {
  const s = new ToolCallSequencer();
  play([head(0), { index: 1, function: { arguments: '{' } }], s);
  play([{ index: 1, id: 'late_id', function: { name: 'g', arguments: '}' } }], s);
  const end: ToolCallEvent[] = [];
  s.finish(end);
  const started = end.find((e) => e.type === 'start' && e.call.index === 1);
  assert.deepEqual(started && [started.call.id, started.call.name, started.call.arguments], ['late_id', 'g', '{}']);
});
