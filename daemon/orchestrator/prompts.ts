// The texts the orchestrator sends: the planner's instructions, each specialist's brief (with the
// results it depends on) and the synthesizer's brief. Long inputs are cut to bounded sizes so a
// big conversation does not multiply its cost by the number of sub-tasks.
import type { ChatMessage } from '../../shared/openai';
import type { Plan, PlannedSubtask } from './plan';

const MAX_TASK_CHARS = 12_000;
const MAX_CONTEXT_CHARS = 4_000;
const MAX_RESULT_CHARS = 6_000;

export function messageText(message: ChatMessage): string {
  const { content } = message;
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content.map((part) => (part.type === 'text' ? part.text : '[image]')).join('\n');
}

/** The conversation as plain text, the newest turns kept when it is too long. */
export function conversationText(messages: readonly ChatMessage[], maxChars = MAX_TASK_CHARS): string {
  const turns = messages.filter((m) => m.role !== 'tool').map((m) => `${m.role.toUpperCase()}: ${messageText(m)}`);
  if (turns.length === 1) return clip(messageText(messages[messages.length - 1] ?? messages[0]!), maxChars, 'end');
  return clip(turns.join('\n\n'), maxChars, 'start');
}

/** Keeps `maxChars`, dropping from the start (older context) or the end. */
export function clip(text: string, maxChars: number, drop: 'start' | 'end'): string {
  if (text.length <= maxChars) return text;
  return drop === 'start' ? `…${text.slice(text.length - maxChars)}` : `${text.slice(0, maxChars)}…`;
}

export function plannerMessages(input: {
  task: string;
  capabilities: readonly string[];
  maxSubtasks: number;
  /** Plan shapes users rated, best first, e.g. "code+math>writing rated 4.6/5 (8 ratings)". */
  patternHints: readonly string[];
}): ChatMessage[] {
  const system = [
    "You are the planner of a team of language models. Split the user's task into sub-tasks that",
    'specialist models can do independently, so that a writer can compose the final answer from their results.',
    '',
    'Reply with JSON only, no prose, in exactly this form:',
    '{"subtasks": [{"id": "a", "capability": "code", "instructions": "…", "depends_on": []}]}',
    '',
    'Rules:',
    `- At most ${input.maxSubtasks} sub-tasks; use fewer when the task is simple (one is fine).`,
    `- "capability" is one of: ${input.capabilities.join(', ')}.`,
    '- "id" is short and unique. "depends_on" lists ids of EARLIER sub-tasks whose results this one needs;',
    '  sub-tasks without dependencies run in parallel, so only add a dependency when the result is really needed.',
    '- "instructions" must be self-contained: copy the data, code or question the specialist needs.',
    '- Do not add a final "combine the answers" sub-task: a writer does that.',
  ];
  if (input.patternHints.length > 0) {
    system.push('', 'How plan shapes (capabilities per stage, ">" = then) were rated by this user before:');
    for (const hint of input.patternHints) system.push(`- ${hint}`);
  }
  return [
    { role: 'system', content: system.join('\n') },
    { role: 'user', content: input.task },
  ];
}

export function plannerRetryMessages(first: ChatMessage[], reply: string, error: string): ChatMessage[] {
  return [
    ...first,
    { role: 'assistant', content: reply },
    {
      role: 'user',
      content: `That plan cannot be used: ${error}. Reply with the corrected plan as JSON only, in the same form.`,
    },
  ];
}

export function subtaskMessages(input: {
  subtask: PlannedSubtask;
  task: string;
  dependencies: readonly { id: string; capability: string; text: string }[];
}): ChatMessage[] {
  const parts = [
    `Overall task, for context only:\n${clip(input.task, MAX_CONTEXT_CHARS, 'end')}`,
    ...input.dependencies.map(
      (d) => `Result of the earlier sub-task "${d.id}" (${d.capability}):\n${clip(d.text, MAX_RESULT_CHARS, 'end')}`,
    ),
    `Your sub-task:\n${input.subtask.instructions}`,
  ];
  return [
    {
      role: 'system',
      content:
        'You are a specialist on a team. Do only your sub-task, completely and precisely; another model writes the final answer from your result.',
    },
    { role: 'user', content: parts.join('\n\n') },
  ];
}

export function synthesisMessages(input: {
  conversation: readonly ChatMessage[];
  plan: Plan;
  results: ReadonlyMap<string, { text: string } | { error: string }>;
}): ChatMessage[] {
  const sections = input.plan.subtasks.map((s) => {
    const r = input.results.get(s.id);
    const body = !r ? 'not run' : 'text' in r ? clip(r.text, MAX_RESULT_CHARS, 'end') : `FAILED: ${r.error}`;
    return `### ${s.id} (${s.capability}): ${clip(s.instructions, 300, 'end')}\n${body}`;
  });
  const history = input.conversation.filter((m) => m.role !== 'system' && m.role !== 'developer' && m.role !== 'tool');
  // The client's own system prompt still governs the answer's style: it goes after ours.
  const clientRules = input.conversation
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map((m) => messageText(m))
    .join('\n');
  return [
    {
      role: 'system',
      content:
        'You write the final answer to the user. Specialists have worked on parts of the request; their results follow the conversation. Answer the user directly and completely, using and reconciling the results. Do not mention the specialists or sub-tasks. If a part failed, answer it yourself as well as you can.' +
        (clientRules ? `\n\nThe user's own instructions for answers:\n${clientRules}` : ''),
    },
    ...history.map((m) => ({ role: m.role, content: messageText(m) })),
    { role: 'user', content: `Specialists' results:\n\n${sections.join('\n\n')}\n\nNow write the final answer.` },
  ];
}
