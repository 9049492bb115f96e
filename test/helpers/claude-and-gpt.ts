// A daemon with an Anthropic model ("claude") and an OpenAI-compatible one ("gpt") behind loopback
// fakes, and the official Anthropic client on its Messages door: the set-up of the tests that check
// what reaches each kind of upstream through /v1/messages.
import Anthropic from '@anthropic-ai/sdk';
import { startTestDaemon, type TestDaemon } from './daemon';

export async function startClaudeAndGpt(options: { tools: boolean }): Promise<{ d: TestDaemon; client: Anthropic }> {
  const config = options.tools ? { capabilities: ['chat', 'tools'], supports_tools: true } : { capabilities: ['chat'] };
  const d = await startTestDaemon({
    rpc: false,
    models: [
      { name: 'claude', kind: 'anthropic', config },
      { name: 'gpt', config },
    ],
  });
  return { d, client: new Anthropic({ baseURL: d.url, apiKey: 'unused', maxRetries: 0 }) };
}
