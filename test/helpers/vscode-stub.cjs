// A stand-in for the `vscode` module so extension logic can be unit-tested in plain Node. Installed
// with a Module._load hook: `node --require ./test/helpers/vscode-stub.cjs`, or by requiring this
// file before the module under test. Only what the extension touches is here; every UI call is
// recorded in `vscode.__stub` and answers come from queues the test fills. Not a VS Code: real-UI
// behaviour is tested in test/vscode (code-server).
'use strict';
const Module = require('node:module');

class Disposable {
  constructor(fn) {
    this._fn = fn;
  }
  static from(...items) {
    return new Disposable(() => items.forEach((d) => d && d.dispose && d.dispose()));
  }
  dispose() {
    if (this._fn) this._fn();
    this._fn = undefined;
  }
}

class EventEmitter {
  constructor() {
    this._listeners = new Set();
    this.event = (listener) => {
      this._listeners.add(listener);
      return new Disposable(() => this._listeners.delete(listener));
    };
  }
  fire(value) {
    for (const l of [...this._listeners]) l(value);
  }
  dispose() {
    this._listeners.clear();
  }
}

class CancellationTokenSource {
  constructor() {
    const emitter = new EventEmitter();
    this._emitter = emitter;
    this.token = {
      isCancellationRequested: false,
      onCancellationRequested: emitter.event,
    };
  }
  cancel() {
    if (this.token.isCancellationRequested) return;
    this.token.isCancellationRequested = true;
    this._emitter.fire(undefined);
  }
  dispose() {}
}

class Uri {
  constructor(scheme, path, query = '') {
    this.scheme = scheme;
    this.path = path;
    this.query = query;
    this.fsPath = path;
  }
  static from({ scheme, path = '', query = '' }) {
    return new Uri(scheme, path, query);
  }
  static file(p) {
    return new Uri('file', p);
  }
  static joinPath(base, ...parts) {
    return new Uri(base.scheme, [base.path, ...parts].join('/'));
  }
  toString() {
    return `${this.scheme}:${this.path}`;
  }
}

class Position {
  constructor(line, character) {
    this.line = line;
    this.character = character;
  }
}
class Range {
  constructor(a, b, c, d) {
    this.start = typeof a === 'number' ? new Position(a, b) : a;
    this.end = typeof a === 'number' ? new Position(c, d) : b;
  }
}
class Location {
  constructor(uri, rangeOrPosition) {
    this.uri = uri;
    this.range = rangeOrPosition instanceof Range ? rangeOrPosition : new Range(rangeOrPosition, rangeOrPosition);
  }
}
class CodeLens {
  constructor(range, command) {
    this.range = range;
    this.command = command;
  }
}
class ThemeColor {
  constructor(id) {
    this.id = id;
  }
}
class LanguageModelTextPart {
  constructor(value) {
    this.value = value;
  }
}
class LanguageModelToolCallPart {
  constructor(callId, name, input) {
    Object.assign(this, { callId, name, input });
  }
}
class LanguageModelToolResultPart {
  constructor(callId, content) {
    Object.assign(this, { callId, content });
  }
}
// VS Code >= 1.105 (the extension looks it up at run time; `delete vscode.LanguageModelDataPart`
// stands for an older VS Code).
class LanguageModelDataPart {
  constructor(data, mimeType) {
    Object.assign(this, { data, mimeType });
  }
  static image(data, mimeType) {
    return new LanguageModelDataPart(data, mimeType);
  }
}
// As in VS Code: a string is one text part, an array of parts is taken as it is.
const lmContent = (content) => (typeof content === 'string' ? [new LanguageModelTextPart(content)] : [...content]);
const LanguageModelChatMessage = {
  User: (content) => ({ role: 1, content: lmContent(content) }),
  Assistant: (content) => ({ role: 2, content: lmContent(content) }),
};
class Task {
  constructor(definition, scope, name, source, execution) {
    Object.assign(this, { definition, scope, name, source, execution });
  }
}
class CustomExecution {
  constructor(callback) {
    this.callback = callback;
  }
}

/** Everything a test can inspect or script. */
const stub = {
  config: {}, // 'fugusashi.port' → value
  commands: new Map(),
  executed: [], // [id, ...args] of executeCommand calls without a registered handler
  messages: [], // {level, text}
  statusItems: [],
  outputLines: [],
  quickPickAnswers: [], // queue: index into items, a label, or undefined (dismissed)
  inputBoxAnswers: [], // queue of strings/undefined
  inputBoxOptions: [], // the options of each showInputBox call
  messageAnswers: [], // queue: the button a showWarningMessage is answered with (undefined: dismissed)
  participants: [],
  lmProviders: [],
  taskProviders: [],
  contentProviders: new Map(),
  codeLensProviders: [],
  chatModels: [], // what lm.selectChatModels returns
  files: new Map(), // fsPath → text: what workspace.openTextDocument reads for a file: Uri
  webviewPanels: [], // every panel created or handed to a serializer (see restoreWebviewPanel)
  webviewSerializers: new Map(), // viewType → WebviewPanelSerializer
  /** What VS Code does for a panel open when the window reloaded: an empty panel to the serializer. */
  async restoreWebviewPanel(viewType, title, state) {
    const serializer = this.webviewSerializers.get(viewType);
    if (!serializer) throw new Error(`no serializer for ${viewType}: the panel stays empty`);
    const panel = webviewPanel(viewType, title, {});
    await serializer.deserializeWebviewPanel(panel, state);
    return panel;
  },
  reset() {
    this.config = {};
    this.commands.clear();
    this.executed.length = 0;
    this.messages.length = 0;
    this.statusItems.length = 0;
    this.outputLines.length = 0;
    this.quickPickAnswers.length = 0;
    this.inputBoxAnswers.length = 0;
    this.inputBoxOptions.length = 0;
    this.messageAnswers.length = 0;
    this.participants.length = 0;
    this.lmProviders.length = 0;
    this.taskProviders.length = 0;
    this.contentProviders.clear();
    this.codeLensProviders.length = 0;
    this.chatModels = [];
    this.files.clear();
    this.webviewPanels.length = 0;
    this.webviewSerializers.clear();
  },
};

/** A webview panel that records what the extension does with it; `__receive` posts from the page. */
function webviewPanel(viewType, title, options) {
  const received = new EventEmitter();
  const disposed = new EventEmitter();
  const panel = {
    viewType,
    title,
    options,
    disposed: false,
    revealed: 0,
    webview: {
      html: '',
      options: {},
      cspSource: 'vscode-webview://stub',
      posted: [],
      asWebviewUri: (uri) => new Uri('vscode-webview', uri.path),
      onDidReceiveMessage: received.event,
      async postMessage(message) {
        this.posted.push(message);
        return true;
      },
    },
    __receive: (message) => received.fire(message),
    onDidDispose: disposed.event,
    reveal() {
      this.revealed += 1;
    },
    dispose() {
      if (this.disposed) return;
      this.disposed = true;
      disposed.fire(undefined);
    },
  };
  stub.webviewPanels.push(panel);
  return panel;
}

function outputChannel(name) {
  const push = (level) => (text) => stub.outputLines.push({ channel: name, level, text: String(text) });
  return {
    name,
    append: push('append'),
    appendLine: push('line'),
    trace: push('trace'),
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
    show() {},
    hide() {},
    clear() {},
    dispose() {},
    logLevel: 2,
    onDidChangeLogLevel: new EventEmitter().event,
  };
}

const configChanged = new EventEmitter();

const vscode = {
  __stub: stub,
  version: '1.104.0-stub',
  Disposable,
  EventEmitter,
  CancellationTokenSource,
  Uri,
  Position,
  Range,
  Location,
  CodeLens,
  ThemeColor,
  LanguageModelTextPart,
  LanguageModelToolCallPart,
  LanguageModelToolResultPart,
  LanguageModelDataPart,
  LanguageModelChatMessage,
  LanguageModelChatMessageRole: { User: 1, Assistant: 2 },
  LanguageModelChatToolMode: { Auto: 1, Required: 2 },
  ChatResultFeedbackKind: { Unhelpful: 0, Helpful: 1 },
  StatusBarAlignment: { Left: 1, Right: 2 },
  ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2 },
  TaskScope: { Global: 1, Workspace: 2 },
  TaskRevealKind: { Always: 1, Silent: 2, Never: 3 },
  TaskPanelKind: { Shared: 1, Dedicated: 2, New: 3 },
  UIKind: { Desktop: 1, Web: 2 },
  Task,
  CustomExecution,
  env: { appName: 'vscode-stub', uiKind: 1 },
  window: {
    createStatusBarItem(id, alignment, priority) {
      const item = {
        id,
        alignment,
        priority,
        text: '',
        tooltip: '',
        visible: false,
        show() {
          this.visible = true;
        },
        hide() {
          this.visible = false;
        },
        dispose() {},
      };
      stub.statusItems.push(item);
      return item;
    },
    createOutputChannel: (name) => outputChannel(name),
    createWebviewPanel: (viewType, title, _column, options) => webviewPanel(viewType, title, options || {}),
    registerWebviewPanelSerializer(viewType, serializer) {
      if (stub.webviewSerializers.has(viewType))
        throw new Error(`a serializer for '${viewType}' is already registered`);
      stub.webviewSerializers.set(viewType, serializer);
      return new Disposable(() => stub.webviewSerializers.delete(viewType));
    },
    async showQuickPick(items) {
      const list = await items;
      const answer = stub.quickPickAnswers.shift();
      if (answer === undefined) return undefined;
      if (typeof answer === 'number') return list[answer];
      return list.find((i) => (typeof i === 'string' ? i : i.label) === answer);
    },
    async showInputBox(options) {
      stub.inputBoxOptions.push(options || {});
      return stub.inputBoxAnswers.shift();
    },
    async showInformationMessage(text) {
      stub.messages.push({ level: 'info', text });
    },
    async showWarningMessage(text, ...items) {
      stub.messages.push({ level: 'warning', text, items });
      return stub.messageAnswers.shift();
    },
    async showErrorMessage(text) {
      stub.messages.push({ level: 'error', text });
    },
    setStatusBarMessage(text) {
      stub.messages.push({ level: 'status', text });
      return new Disposable();
    },
    activeTextEditor: undefined,
    async showTextDocument(doc) {
      return { document: doc };
    },
  },
  workspace: {
    workspaceFolders: undefined,
    // Only the disk has a file system provider here (untitled buffers have none, as in VS Code).
    fs: { isWritableFileSystem: (scheme) => (scheme === 'file' ? true : undefined) },
    asRelativePath: (pathOrUri) => (typeof pathOrUri === 'string' ? pathOrUri : pathOrUri.path).replace(/^\/ws\//, ''),
    getConfiguration(section) {
      return {
        get: (key, fallback) => {
          const v = stub.config[`${section}.${key}`];
          return v === undefined ? fallback : v;
        },
      };
    },
    onDidChangeConfiguration: configChanged.event,
    registerTextDocumentContentProvider(scheme, provider) {
      stub.contentProviders.set(scheme, provider);
      return new Disposable(() => stub.contentProviders.delete(scheme));
    },
    async openTextDocument(arg) {
      if (arg && arg.scheme && stub.contentProviders.has(arg.scheme)) {
        const text = await stub.contentProviders.get(arg.scheme).provideTextDocumentContent(arg);
        return { uri: arg, getText: () => text };
      }
      if (arg instanceof Uri && arg.scheme === 'file') {
        if (!stub.files.has(arg.fsPath)) throw new Error(`cannot open ${arg.fsPath}: no such file`);
        const text = stub.files.get(arg.fsPath);
        const offset = (pos) => {
          const lines = text.split('\n');
          return lines.slice(0, pos.line).reduce((n, l) => n + l.length + 1, 0) + pos.character;
        };
        return {
          uri: arg,
          languageId: /\.md$/.test(arg.fsPath) ? 'markdown' : 'plaintext',
          getText: (range) => (range ? text.slice(offset(range.start), offset(range.end)) : text),
        };
      }
      return { uri: undefined, getText: () => (arg && arg.content) || '' };
    },
  },
  commands: {
    registerCommand(id, fn) {
      if (stub.commands.has(id)) throw new Error(`command '${id}' already exists`);
      stub.commands.set(id, fn);
      return new Disposable(() => stub.commands.delete(id));
    },
    async executeCommand(id, ...args) {
      const fn = stub.commands.get(id);
      if (fn) return fn(...args);
      stub.executed.push([id, ...args]);
      return undefined;
    },
  },
  languages: {
    registerCodeLensProvider(selector, provider) {
      stub.codeLensProviders.push({ selector, provider });
      return new Disposable();
    },
  },
  chat: {
    createChatParticipant(id, handler) {
      const feedback = new EventEmitter();
      const participant = { id, handler, onDidReceiveFeedback: feedback.event, __feedback: feedback, dispose() {} };
      stub.participants.push(participant);
      return participant;
    },
  },
  lm: {
    registerLanguageModelChatProvider(vendor, provider) {
      stub.lmProviders.push({ vendor, provider });
      return new Disposable();
    },
    async selectChatModels(selector) {
      return stub.chatModels.filter((m) => !selector || !selector.id || m.id === selector.id);
    },
    onDidChangeChatModels: new EventEmitter().event,
  },
  tasks: {
    registerTaskProvider(type, provider) {
      stub.taskProviders.push({ type, provider });
      return new Disposable();
    },
  },
};

const originalLoad = Module._load;
Module._load = function load(request, parent, isMain) {
  if (request === 'vscode') return vscode;
  return originalLoad.call(this, request, parent, isMain);
};

module.exports = vscode;
