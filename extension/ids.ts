// Every identifier the extension shares with package.json (`contributes`) in one place, so a rename
// is one edit here plus one in package.json.
export const EXTENSION_ID = 'fugusashi.fugusashi';
export const CONFIG_SECTION = 'fugusashi';

/** `vscode.lm` vendor of the language-model provider (package.json `languageModelChatProviders`). */
export const LM_VENDOR = 'fugusashi';
/** Id of the routed model in the picker ("Fugusashi Auto"). Pool models use their pool name as id. */
export const AUTO_MODEL_ID = 'auto';

export const PARTICIPANT_ID = 'fugusashi.router';
export const PARTICIPANT_NAME = 'fugusashi';

export const ANSWERS_SCHEME = 'fugusashi-answers';
export const BENCHMARK_TASK_TYPE = 'fugusashi-benchmark';

export const Commands = {
  ask: 'fugusashi.ask',
  showRecentAnswers: 'fugusashi.showRecentAnswers',
  rateAnswer: 'fugusashi.rateAnswer',
  thumbsAnswer: 'fugusashi.thumbsAnswer',
  setApiKey: 'fugusashi.setApiKey',
  restartDaemon: 'fugusashi.restartDaemon',
  showLog: 'fugusashi.showLog',
  showStats: 'fugusashi.showStats',
  openDashboard: 'fugusashi.openDashboard',
  statusClick: 'fugusashi.statusClick',
} as const;
