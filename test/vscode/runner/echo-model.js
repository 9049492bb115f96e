// A VS Code language model for the e2e tests (vendor "e2e-echo", id "echo-1"): it answers
// "echo model says: <last user text>" (an image in it as "[image/png 68 bytes]"). It stands in for a model VS Code offers through another
// extension (a Copilot plan's, say), so the daemon's `vscode-lm` pool member can be exercised.
'use strict';
const vscode = require('vscode');

function lastUserText(messages) {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role === vscode.LanguageModelChatMessageRole.User) {
      // Images (LanguageModelDataPart) are named with their type and size: what the model was given.
      return m.content
        .map((p) =>
          p && typeof p.value === 'string'
            ? p.value
            : p && p.data instanceof Uint8Array
              ? `[${p.mimeType} ${p.data.byteLength} bytes]`
              : '',
        )
        .join('');
    }
  }
  return '';
}

exports.activate = (context) => {
  const info = {
    id: 'echo-1',
    name: 'Echo 1',
    family: 'echo',
    version: '1',
    maxInputTokens: 8000,
    maxOutputTokens: 1000,
    capabilities: {},
  };
  context.subscriptions.push(
    vscode.lm.registerLanguageModelChatProvider('e2e-echo', {
      provideLanguageModelChatInformation: () => [info],
      async provideLanguageModelChatResponse(_model, messages, _options, progress) {
        for (const piece of ['echo model ', 'says: ', lastUserText(messages)])
          progress.report(new vscode.LanguageModelTextPart(piece));
      },
      provideTokenCount: async (_m, text) =>
        Math.ceil((typeof text === 'string' ? text : JSON.stringify(text)).length / 4),
    }),
  );
};
