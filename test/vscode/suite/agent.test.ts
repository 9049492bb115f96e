// Window A, after windowA.test.ts: "Fugusashi Auto" as an agent model through vscode.lm (tools in,
// LanguageModelToolCallParts out, the tool result back to a final answer), the @fugusashi
// participant's attachments, and what the chat view's agent mode does in this build without a
// Copilot sign-in. The upstream is test/vscode/upstream.ts: only big-smart takes tools.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DecisionRow, Trace } from '../../../shared/api';
import { ChatRequest, DecisionsRequest, TraceRequest } from '../../../shared/protocol';
import type { FugusashiApi } from '../../../extension/main';
import { driverStep, recall, record, waitFor } from './driver';

const TEST_TOOL = 'fugusashi_test_weather';
const weatherTool: vscode.LanguageModelChatTool = {
  name: TEST_TOOL,
  description: 'Current weather for a city',
  inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

function api(): FugusashiApi {
  const ext = vscode.extensions.getExtension<FugusashiApi>('fugusashi.fugusashi');
  assert.ok(ext?.isActive, 'the extension is active (windowA.test.ts activates it)');
  return ext.exports;
}
async function decisions(limit = 50): Promise<DecisionRow[]> {
  return (await api().rpc()).sendRequest(DecisionsRequest, { limit });
}
async function trace(requestId: string): Promise<Trace> {
  return (await api().rpc()).sendRequest(TraceRequest, { request_id: requestId });
}
async function newRow(seen: Set<string>, match: (r: DecisionRow) => boolean, what: string, ms = 60_000) {
  return waitFor(what, async () => (await decisions()).find((r) => !seen.has(r.request_id) && match(r)), ms);
}
async function seenIds(): Promise<Set<string>> {
  return new Set((await decisions(1000)).map((r) => r.request_id));
}
function lastUserText(t: Trace): string {
  const users = (t.messages as { role: string; content: unknown }[]).filter((m) => m.role === 'user');
  const c = users.at(-1)?.content;
  if (typeof c === 'string') return c;
  return Array.isArray(c) ? c.map((p) => (p as { text?: string }).text ?? '').join('') : '';
}

describe('Fugusashi Auto as an agent model (vscode.lm with tools)', () => {
  let auto: vscode.LanguageModelChat;
  before(async () => {
    const [m] = await vscode.lm.selectChatModels({ vendor: 'fugusashi', id: 'auto' });
    assert.ok(m, 'Fugusashi Auto is listed');
    auto = m;
  });

  it('returns LanguageModelToolCallParts for a request with tools, routed only to a model that takes tools', async () => {
    const seen = await seenIds();
    const messages = [vscode.LanguageModelChatMessage.User('What is the weather in Paris?')];
    const response = await auto.sendRequest(
      messages,
      { tools: [weatherTool], toolMode: vscode.LanguageModelChatToolMode.Auto },
      new vscode.CancellationTokenSource().token,
    );
    const parts: unknown[] = [];
    for await (const part of response.stream) parts.push(part);
    const calls = parts.filter(
      (p): p is vscode.LanguageModelToolCallPart => p instanceof vscode.LanguageModelToolCallPart,
    );
    assert.equal(calls.length, 1, `one tool call in ${JSON.stringify(parts)}`);
    const [call] = calls;
    assert.equal(call!.name, TEST_TOOL);
    assert.deepEqual(call!.input, { city: 'Paris' });
    assert.ok(call!.callId, 'the call has an id to pair the result with');
    const row = await newRow(seen, (r) => r.source === 'lm-provider', 'the tool-call request in the store');
    // The cost strategy alone would pick small-fast; it takes no tools, so the router leaves it out.
    assert.equal(row.decision.model, 'big-smart');
    const t = await trace(row.request_id);
    assert.deepEqual(t.request_params['tools'], [TEST_TOOL]);
    assert.equal(t.request_params['tool_choice'], 'auto');

    // The tool result goes back as the next user turn; the upstream sees it as an OpenAI tool
    // message answering that call and quotes it in its final answer.
    const seen2 = await seenIds();
    const second = await auto.sendRequest(
      [
        ...messages,
        vscode.LanguageModelChatMessage.Assistant([call!]),
        vscode.LanguageModelChatMessage.User([
          new vscode.LanguageModelToolResultPart(call!.callId, [new vscode.LanguageModelTextPart('sunny, 21 °C')]),
        ]),
      ],
      { tools: [weatherTool] },
      new vscode.CancellationTokenSource().token,
    );
    let text = '';
    const after: unknown[] = [];
    for await (const part of second.stream) {
      if (part instanceof vscode.LanguageModelTextPart) text += part.value;
      else after.push(part);
    }
    assert.equal(after.length, 0, 'no further tool call');
    assert.equal(text, `final answer from big-smart: ${TEST_TOOL}({"city":"Paris"}) returned sunny, 21 °C`);
    const row2 = await newRow(seen2, (r) => r.source === 'lm-provider', 'the tool-result request in the store');
    const t2 = await trace(row2.request_id);
    const tool = (t2.messages as { role: string; tool_call_id?: string }[]).find((m) => m.role === 'tool');
    assert.equal(tool?.tool_call_id, call!.callId);
    record('agentToolRoundTrip', { callId: call!.callId, firstModel: row.decision.model, answer: text });
  });

  it('forces a tool call with toolMode Required (tool_choice names the one tool)', async () => {
    const seen = await seenIds();
    const response = await auto.sendRequest(
      [vscode.LanguageModelChatMessage.User('Weather in Paris, please')],
      { tools: [weatherTool], toolMode: vscode.LanguageModelChatToolMode.Required },
      new vscode.CancellationTokenSource().token,
    );
    const parts: unknown[] = [];
    for await (const part of response.stream) parts.push(part);
    assert.ok(parts.some((p) => p instanceof vscode.LanguageModelToolCallPart));
    const row = await newRow(seen, (r) => r.source === 'lm-provider', 'the Required request in the store');
    assert.deepEqual((await trace(row.request_id)).request_params['tool_choice'], {
      type: 'function',
      function: { name: TEST_TOOL },
    });
  });
});

describe('Fugusashi Auto with an image (vscode.lm)', () => {
  it('sends a LanguageModelDataPart image upstream as image_url, routed only to a model that sees', async function () {
    // LanguageModelDataPart is in VS Code's API since 1.105 (this package's @types is 1.104).
    const DataPart = (vscode as unknown as { LanguageModelDataPart?: { image(d: Uint8Array, m: string): unknown } })
      .LanguageModelDataPart;
    if (!DataPart) return this.skip();
    const [auto] = await vscode.lm.selectChatModels({ vendor: 'fugusashi', id: 'auto' });
    assert.ok(auto);
    const seen = await seenIds();
    // A real 1×1 PNG: the workbench decodes (and may re-encode) images before they reach the provider.
    const png = new Uint8Array(
      Buffer.from(
        'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
        'base64',
      ),
    );
    const message = vscode.LanguageModelChatMessage.User([
      new vscode.LanguageModelTextPart('What is in this image?'),
      DataPart.image(png, 'image/png') as vscode.LanguageModelTextPart,
    ]);
    const response = await auto.sendRequest([message], {}, new vscode.CancellationTokenSource().token);
    let text = '';
    for await (const piece of response.text) text += piece;
    assert.match(text, /fake answer from big-smart to: What is in this image\?/);
    const row = await newRow(seen, (r) => r.source === 'lm-provider', 'the image request in the store');
    assert.equal(row.decision.model, 'big-smart', 'small-fast has no vision: left out');
    const user = (await trace(row.request_id)).messages.at(-1) as {
      content: { type: string; image_url?: { url: string } }[];
    };
    assert.deepEqual(
      user.content.map((p) => p.type),
      ['text', 'image_url'],
    );
    assert.match(user.content[1]?.image_url?.url ?? '', /^data:image\/png;base64,[A-Za-z0-9+/]{40,}={0,2}$/);
  });
});

describe('an image to a VS Code language model in the pool (vscode-lm)', () => {
  it('reaches the VS Code model as a LanguageModelDataPart', async () => {
    // echo-in-vscode is the runner's echo model; it names each image part it was given.
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
    const completion = await (
      await api().rpc()
    ).sendRequest(ChatRequest, {
      request: {
        model: 'echo-in-vscode',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Describe ' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
            ],
          },
        ],
      },
      source: 'rpc',
    });
    assert.equal(
      completion.choices[0]?.message.content,
      `echo model says: Describe [image/png ${Buffer.from(png, 'base64').byteLength} bytes]`,
    );
  });
});

describe('@fugusashi sends what the user attached', () => {
  const ws = () => vscode.workspace.workspaceFolders![0]!.uri;
  // A fresh session each time: the routed text (and so prompt_preview) would start with history.
  beforeEach(() => vscode.commands.executeCommand('workbench.action.chat.newChat').then(undefined, () => undefined));

  it('sends an attached file’s text with the prompt, and again with a follow-up question', async () => {
    const seen = await seenIds();
    const notes = vscode.Uri.joinPath(ws(), 'notes.md');
    await vscode.commands.executeCommand('workbench.action.chat.open', {
      query: '@fugusashi What does the attached note say?',
      mode: 'ask',
      modelSelector: { vendor: 'fugusashi', id: 'auto' },
      attachFiles: [notes],
    });
    const row = await newRow(seen, (r) => r.source === 'vscode-chat', 'the chat request with the attached file');
    const sent = lastUserText(await trace(row.request_id));
    assert.match(sent, /^What does the attached note say\?/);
    assert.match(sent, /File `notes\.md`:/);
    assert.match(sent, /Select this line and run “Fugusashi: Ask”\./);

    // A follow-up in the same chat, attaching nothing: the file goes along again.
    const seen2 = await seenIds();
    await vscode.commands.executeCommand('workbench.action.chat.open', {
      query: '@fugusashi Translate it to French',
      mode: 'ask',
      modelSelector: { vendor: 'fugusashi', id: 'auto' },
    });
    const followUp = await newRow(seen2, (r) => r.source === 'vscode-chat', 'the follow-up question');
    const t = await trace(followUp.request_id);
    assert.equal(t.messages.length, 3, 'question, answer, follow-up');
    assert.match(
      lastUserText(t),
      /^Translate it to French[^]*File `notes\.md`:[^]*Select this line and run “Fugusashi: Ask”\./,
    );
  });

  it('sends an attached selection (a file with a range: a Location) as the range’s text', async () => {
    const seen = await seenIds();
    const notes = vscode.Uri.joinPath(ws(), 'notes.md');
    await vscode.commands.executeCommand('workbench.action.chat.open', {
      query: '@fugusashi Rephrase the selected line',
      mode: 'ask',
      modelSelector: { vendor: 'fugusashi', id: 'auto' },
      // The chat's attachment model takes the workbench's own range shape (1-based lines).
      attachFiles: [{ uri: notes, range: { startLineNumber: 3, startColumn: 1, endLineNumber: 3, endColumn: 200 } }],
    });
    const row = await newRow(seen, (r) => r.source === 'vscode-chat', 'the chat request with the selection');
    const sent = lastUserText(await trace(row.request_id));
    assert.match(sent, /Selection `notes\.md:3`:\n```markdown\nSelect this line and run “Fugusashi: Ask”\.\n```/);
    assert.doesNotMatch(sent, /# scratch/, 'only the range, not the whole file');
  });

  it('cuts a file that does not fit the forced model’s context window, saying how much was dropped', async () => {
    const seen = await seenIds();
    const big = vscode.Uri.joinPath(ws(), 'big.txt');
    const line = 'All work and no play makes Jack a dull boy.\n';
    await vscode.workspace.fs.writeFile(big, new TextEncoder().encode(line.repeat(5000))); // 220,000 chars
    await vscode.commands.executeCommand('workbench.action.chat.open', {
      query: '@fugusashi /model small-fast Summarize the attached file',
      mode: 'ask',
      modelSelector: { vendor: 'fugusashi', id: 'auto' },
      attachFiles: [big],
    });
    const row = await newRow(seen, (r) => r.source === 'vscode-chat', 'the chat request with the big file');
    assert.equal(row.decision.model, 'small-fast');
    assert.equal(row.status, 'ok');
    const sent = lastUserText(await trace(row.request_id));
    const dropped = /\[… (\d+) characters dropped to fit the model's context window\]/.exec(sent);
    assert.ok(dropped, 'the truncation marker is in the prompt');
    // small-fast: 16,000 tokens, a quarter kept for the answer → about 48,000 characters of prompt.
    assert.ok(sent.length <= 16_000 * 4, `prompt of ${sent.length} chars fits 16k tokens`);
    const droppedChars = Number(dropped[1]);
    assert.ok(droppedChars > 150_000 && droppedChars < 220_000, `${droppedChars} characters dropped`);
    record('attachmentTruncation', { sentChars: sent.length, droppedChars });
  });
});

describe('the chat view’s agent mode without a Copilot sign-in (exploration, recorded)', () => {
  it('opens agent mode with Fugusashi Auto selected and records what happens', async () => {
    const seen = await seenIds();
    const t0 = Date.now();
    await vscode.commands.executeCommand('workbench.action.chat.open', {
      query: 'Which tools can you use here?',
      mode: 'agent',
      modelSelector: { vendor: 'fugusashi', id: 'auto' },
    });
    const row = await waitFor(
      'an agent-mode request through the Fugusashi provider',
      async () => (await decisions()).find((r) => !seen.has(r.request_id) && r.source === 'lm-provider'),
      30_000,
    ).catch(() => undefined);
    await driverStep('look', { name: 'agent-mode' }).catch(() => false);
    // The look step dismisses a dialog, as a person would: does the request go on without sign-in?
    const later =
      row ??
      (await waitFor(
        'the agent-mode request after dismissing the dialog',
        async () => (await decisions()).find((r) => !seen.has(r.request_id) && r.source === 'lm-provider'),
        20_000,
      ).catch(() => undefined));
    const t = later ? await trace(later.request_id) : undefined;
    const facts = {
      reachedProvider: Boolean(row),
      reachedProviderAfterDismissingDialog: Boolean(later),
      afterMs: later ? later.created_at - t0 : null,
      model: later?.decision.model ?? null,
      status: later?.status ?? null,
      tools: t?.request_params['tools'] ?? null,
      answer: t?.response_text?.slice(0, 300) ?? null,
      ui: recall<unknown>('look-agent-mode') ?? null,
    };
    record('agentMode', facts);
    console.log(`agent mode: ${JSON.stringify(facts)}`);
  });
});
