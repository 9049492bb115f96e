// How prompt tokens are estimated without a tokenizer, shared so that what VS Code is told a message
// costs (the extension's provideTokenCount) matches what the router counts against a model's window
// (daemon/core/features.ts): otherwise VS Code fills a prompt the router then finds too long.

/** What one image costs in prompt tokens (OpenAI's 1024×1024 high-detail figure). */
export const TOKENS_PER_IMAGE = 765;
/** Chat formats add a few tokens of framing per message. */
export const TOKENS_PER_MESSAGE = 4;
