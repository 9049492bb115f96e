// The config module's public surface (Node side of the daemon).
export { ConfigError } from './errors';
export { interpolateEnv, interpolateString } from './env';
export { parseConfigText, validateConfig, fieldPath } from './validate';
export {
  CONFIG_FILE_NAME,
  applyDefaults,
  expandHome,
  loadConfigFile,
  resolveConfig,
  type ResolveOptions,
  type ResolvedConfig,
  type ResolvedResult,
  type ResolvedRouting,
  type ResolvedServer,
} from './resolve';
export { DEFAULT_OLLAMA_BASE, discoverModels, normaliseOllamaBase, ollamaModelConfig } from './discovery';
export { watchConfig, type WatchOptions } from './watch';
export { REDACTED, redactConfig, redactUrlCredentials } from './redact';
