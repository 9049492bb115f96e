// The loopback fake upstream of the real-VS-Code run: test/fakes' OpenAI fake (the only fake in
// these tests) as a process, plus what an agent turn needs from an upstream model:
//   - a request that offers the test's tool (`fugusashi_test_weather`) gets a call of that tool;
//   - a request whose last message is a tool result gets a final answer quoting that result, or a
//     400 (as OpenAI answers) when the result answers no call of the conversation;
//   - a request that offers other tools (VS Code's agent mode) gets a text answer naming them, so
//     the run can tell which tools agent mode sent.
// Prints its base URL as the first stdout line; exits on SIGTERM or when its stdin pipe closes.
import { startFakeOpenAI, type FakeBehaviour, type FakeRequest } from '../fakes';

export const TEST_TOOL = 'fugusashi_test_weather';

interface WireMessage {
  role: string;
  content?: unknown;
  tool_call_id?: string;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
}
interface WireBody {
  tools?: { function: { name: string } }[];
  messages?: WireMessage[];
}

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((p) => (typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : ''))
      .join('');
  return '';
}

export function agentBehaviour(req: FakeRequest): FakeBehaviour | undefined {
  const body = req.body as WireBody;
  const tools = (body.tools ?? []).map((t) => t.function.name);
  const messages = body.messages ?? [];
  const last = messages.at(-1);
  if (last?.role === 'tool') {
    const call = messages.flatMap((m) => m.tool_calls ?? []).find((c) => c.id === last.tool_call_id);
    if (!call)
      return {
        error: {
          status: 400,
          message: `Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls' (${last.tool_call_id}).`,
          param: 'messages',
        },
      };
    return {
      text: `final answer from ${req.model}: ${call.function.name}(${call.function.arguments}) returned ${text(last.content)}`,
    };
  }
  if (tools.includes(TEST_TOOL)) return { toolCalls: [{ name: TEST_TOOL, arguments: { city: 'Paris' } }] };
  if (tools.length > 0)
    return { text: `fake agent answer from ${req.model}; ${tools.length} tools offered: ${tools.join(', ')}` };
  // Echoing a prompt with a long attachment word by word would stream for minutes: say its size.
  if (req.lastUserText.length > 2000)
    return { text: `fake answer from ${req.model} to a prompt of ${req.lastUserText.length} characters` };
  return undefined;
}

async function main() {
  const chunkDelayMs = Number(process.env.FAKE_CHUNK_DELAY_MS ?? 15);
  const fake = await startFakeOpenAI({
    models: ['small-fast', 'big-smart'],
    behaviour: { chunkDelayMs },
    hook: agentBehaviour,
    record: false,
  });
  process.stdout.write(`${fake.url}\n`);
  const stop = () => void fake.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
}

void main();
