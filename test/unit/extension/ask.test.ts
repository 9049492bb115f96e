// "Fugusashi: Ask" with text selected in the editor: the selection is what the question is about,
// not the question. The user types the question; the selection goes to the chat as an attachment
// (a file location the participant reads back, like a selection attached by hand), or quoted with its
// name and lines when the chat cannot attach it (no file system has it: an untitled editor).
import '../../helpers/vscode-stub.cjs';
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import * as vscode from 'vscode';
import { registerCommands } from '../../../extension/commands';
import { Commands } from '../../../extension/ids';
import { fakeCtx, rpcPair } from './helpers';

const stub = (vscode as unknown as { __stub: { [k: string]: any } }).__stub;
const window = vscode.window as { activeTextEditor: unknown };

const source = ['function add(a, b) {', '  return a + b;', '}', '', 'export { add };'].join('\n');

/** An editor showing `source` with lines 1–3 selected (0-based 0..2, up to the end of `}`). */
function editorWithSelection(uri: vscode.Uri) {
  const selection = Object.assign(new vscode.Range(0, 0, 2, 1), { isEmpty: false });
  const lines = source.split('\n');
  return {
    selection,
    document: {
      uri,
      languageId: 'javascript',
      // The selection ends at the end of its last line, so whole lines are its text.
      getText: (r?: vscode.Range) => (r ? lines.slice(r.start.line, r.end.line + 1).join('\n') : source),
    },
  };
}

describe('Fugusashi: Ask with a selection', () => {
  let pair: ReturnType<typeof rpcPair>;
  let commands: vscode.Disposable;

  beforeEach(() => {
    stub.reset();
    pair = rpcPair();
    commands = registerCommands(fakeCtx(pair.rpc).ctx, undefined);
  });
  afterEach(() => {
    window.activeTextEditor = undefined;
    commands.dispose();
    pair.dispose();
  });

  it('asks for the question (empty box) and attaches the selection as a file location', async () => {
    const uri = vscode.Uri.file('/ws/src/add.js');
    window.activeTextEditor = editorWithSelection(uri);
    stub.inputBoxAnswers.push('  why does this not check types?  ');

    await vscode.commands.executeCommand(Commands.ask);

    const box = stub.inputBoxOptions[0];
    assert.ok(!box.value, `the box starts empty for the user's own question, not the selection: ${box.value}`);
    assert.match(box.title, /src\/add\.js:1-3/);
    assert.deepEqual(stub.executed, [
      [
        'workbench.action.chat.open',
        {
          query: '@fugusashi why does this not check types?',
          mode: 'ask',
          modelSelector: { vendor: 'fugusashi', id: 'auto' },
          attachFiles: [{ uri, range: { startLineNumber: 1, startColumn: 1, endLineNumber: 3, endColumn: 2 } }],
        },
      ],
    ]);
  });

  it('quotes the selection with its name and lines when the editor is untitled', async () => {
    window.activeTextEditor = editorWithSelection(vscode.Uri.from({ scheme: 'untitled', path: 'Untitled-1' }));
    stub.inputBoxAnswers.push('what is this?');

    await vscode.commands.executeCommand(Commands.ask);

    const [[command, args]] = stub.executed;
    assert.equal(command, 'workbench.action.chat.open');
    assert.equal(args.attachFiles, undefined);
    assert.equal(
      args.query,
      '@fugusashi what is this?\n\nUntitled-1:1-3:\n```javascript\nfunction add(a, b) {\n  return a + b;\n}\n```',
    );
  });

  it('without a selection asks as before, and a dismissed box opens nothing', async () => {
    stub.inputBoxAnswers.push('hello?', undefined);
    await vscode.commands.executeCommand(Commands.ask);
    await vscode.commands.executeCommand(Commands.ask);
    assert.deepEqual(stub.executed, [
      [
        'workbench.action.chat.open',
        { query: '@fugusashi hello?', mode: 'ask', modelSelector: { vendor: 'fugusashi', id: 'auto' } },
      ],
    ]);
  });
});
