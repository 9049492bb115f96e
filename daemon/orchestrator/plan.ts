// The planner's answer, from raw model text to a validated plan. Models wrap JSON in prose and code
// fences, leave trailing commas, name fields a little differently or list a dependency after the
// step that needs it; those are repaired here (each repair is reported) so a retry is only spent
// on plans that are really wrong: unknown capabilities, dangling or cyclic dependencies.

export interface PlannedSubtask {
  id: string;
  capability: string;
  instructions: string;
  depends_on: string[];
}

export interface Plan {
  subtasks: PlannedSubtask[];
}

export interface PlanRules {
  /** The pool's capability names; a sub-task's capability must be one of them. */
  capabilities: readonly string[];
  maxSubtasks: number;
  /** Ids the orchestrator uses for its own steps ("plan", "synthesis"…); colliding ids are renamed. */
  reservedIds?: readonly string[];
}

export type PlanResult = { ok: true; plan: Plan; repairs: string[] } | { ok: false; error: string; repairs: string[] };

/** Parses and validates a planner reply. Never throws. */
export function parsePlan(text: string, rules: PlanRules): PlanResult {
  const extracted = extractJson(text);
  if (!extracted.ok) return { ok: false, error: extracted.error, repairs: extracted.repairs };
  const checked = validatePlan(extracted.value, rules);
  return { ...checked, repairs: [...extracted.repairs, ...checked.repairs] };
}

// ---------------------------------------------------------------- JSON extraction

type Extracted = { ok: true; value: unknown; repairs: string[] } | { ok: false; error: string; repairs: string[] };

/** Finds the JSON value in a model reply: bare, fenced, or embedded in prose. */
export function extractJson(text: string): Extracted {
  const repairs: string[] = [];
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, error: 'the planner returned an empty reply', repairs };
  const direct = tryParse(trimmed);
  if (direct.ok) return { ok: true, value: direct.value, repairs };

  const candidates: string[] = [];
  for (const m of trimmed.matchAll(/```[a-zA-Z]*\s*\n?([\s\S]*?)```/g)) if (m[1]) candidates.push(m[1].trim());
  const balanced = firstBalanced(trimmed);
  if (balanced) candidates.push(balanced);
  for (const candidate of candidates) {
    const parsed = tryParse(candidate);
    if (parsed.ok) {
      repairs.push('extracted the JSON from surrounding text');
      return { ok: true, value: parsed.value, repairs };
    }
    const noTrailing = candidate.replace(/,(\s*[}\]])/g, '$1');
    const again = tryParse(noTrailing);
    if (again.ok) {
      repairs.push('extracted the JSON from surrounding text', 'removed trailing commas');
      return { ok: true, value: again.value, repairs };
    }
  }
  const withoutTrailing = tryParse(trimmed.replace(/,(\s*[}\]])/g, '$1'));
  if (withoutTrailing.ok) {
    repairs.push('removed trailing commas');
    return { ok: true, value: withoutTrailing.value, repairs };
  }
  return { ok: false, error: `the planner's reply is not valid JSON (${direct.error})`, repairs };
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** The first {...} or [...] span whose brackets balance, skipping brackets inside strings. */
function firstBalanced(text: string): string | undefined {
  const start = text.search(/[{[]/);
  if (start < 0) return undefined;
  const stack: string[] = [];
  let inString = false;
  let escaped = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') stack.push(ch === '{' ? '}' : ']');
    else if (ch === '}' || ch === ']') {
      if (stack.pop() !== ch) return undefined;
      if (stack.length === 0) return text.slice(start, i + 1);
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- validation

const SUBTASK_LIST_KEYS = ['subtasks', 'sub_tasks', 'subTasks', 'tasks', 'steps'];
const DEPENDS_KEYS = ['depends_on', 'dependsOn', 'dependencies', 'deps', 'after'];
const INSTRUCTION_KEYS = ['instructions', 'instruction', 'task', 'prompt', 'description'];

/** Words planners use for a capability, mapped to our names (applied only when the pool has the target). */
const CAPABILITY_SYNONYMS: Record<string, string> = {
  coding: 'code',
  programming: 'code',
  software: 'code',
  mathematics: 'math',
  maths: 'math',
  arithmetic: 'math',
  logic: 'reasoning',
  analysis: 'reasoning',
  general: 'chat',
  conversation: 'chat',
  summarization: 'writing',
  summary: 'writing',
  prose: 'writing',
  'long-context': 'long_context',
  'tool-use': 'tools',
  tool_use: 'tools',
  image: 'vision',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pick(record: Record<string, unknown>, keys: readonly string[]): { key: string; value: unknown } | undefined {
  for (const key of keys) if (key in record) return { key, value: record[key] };
  return undefined;
}

/** Checks the schema and the graph; returns the plan with sub-tasks in dependency order. */
export function validatePlan(value: unknown, rules: PlanRules): PlanResult {
  const repairs: string[] = [];
  const fail = (error: string): PlanResult => ({ ok: false, error, repairs });

  let list: unknown;
  if (Array.isArray(value)) {
    list = value;
    repairs.push('wrapped a bare list as {"subtasks": [...]}');
  } else if (isRecord(value)) {
    const found = pick(value, SUBTASK_LIST_KEYS);
    if (!found) return fail('the plan has no "subtasks" list');
    if (found.key !== 'subtasks') repairs.push(`read "${found.key}" as "subtasks"`);
    list = found.value;
  } else {
    return fail('the plan must be a JSON object with a "subtasks" list');
  }
  if (!Array.isArray(list)) return fail('"subtasks" must be a list');
  if (list.length === 0) return fail('the plan has no sub-tasks');
  if (list.length > rules.maxSubtasks)
    return fail(`the plan has ${list.length} sub-tasks; at most ${rules.maxSubtasks} are allowed (max_subtasks)`);

  const capabilities = new Set(rules.capabilities);
  const subtasks: PlannedSubtask[] = [];
  for (const [index, raw] of list.entries()) {
    const where = `sub-task ${index + 1}`;
    if (!isRecord(raw)) return fail(`${where} is not an object`);
    const id = typeof raw.id === 'number' ? String(raw.id) : raw.id;
    if (typeof id !== 'string' || id.trim() === '') return fail(`${where} has no "id"`);

    const rawCapability = raw.capability;
    if (typeof rawCapability !== 'string' || rawCapability.trim() === '')
      return fail(`sub-task "${id}" has no "capability"`);
    const capability = normaliseCapability(rawCapability, capabilities);
    if (!capability)
      return fail(
        `sub-task "${id}" has capability "${rawCapability}", which is not one of the pool's: ${[...capabilities].join(', ')}`,
      );
    if (capability !== rawCapability) repairs.push(`read capability "${rawCapability}" as "${capability}"`);

    const instructionField = pick(raw, INSTRUCTION_KEYS);
    const instructions = instructionField?.value;
    if (typeof instructions !== 'string' || instructions.trim() === '')
      return fail(`sub-task "${id}" has no "instructions"`);
    if (instructionField && instructionField.key !== 'instructions')
      repairs.push(`read "${instructionField.key}" as "instructions"`);

    const dependsField = pick(raw, DEPENDS_KEYS);
    let depends: unknown = dependsField?.value ?? [];
    if (dependsField && dependsField.key !== 'depends_on') repairs.push(`read "${dependsField.key}" as "depends_on"`);
    if (typeof depends === 'string' || typeof depends === 'number') depends = [depends];
    if (depends === null) depends = [];
    if (!Array.isArray(depends)) return fail(`sub-task "${id}": "depends_on" must be a list of ids`);
    const dependsOn: string[] = [];
    for (const d of depends) {
      if (typeof d !== 'string' && typeof d !== 'number') return fail(`sub-task "${id}": "depends_on" must list ids`);
      if (!dependsOn.includes(String(d))) dependsOn.push(String(d));
    }
    subtasks.push({ id: id.trim(), capability, instructions: instructions.trim(), depends_on: dependsOn });
  }

  const ids = new Set<string>();
  for (const s of subtasks) {
    if (ids.has(s.id)) return fail(`the id "${s.id}" is used by more than one sub-task`);
    ids.add(s.id);
  }
  for (const s of subtasks)
    for (const d of s.depends_on) {
      if (d === s.id) return fail(`sub-task "${s.id}" depends on itself (a cycle)`);
      if (!ids.has(d)) return fail(`sub-task "${s.id}" depends on "${d}", which is not in the plan`);
    }

  const ordered = topologicalOrder(subtasks);
  if (!ordered.ok) return fail(`the plan's dependencies form a cycle: ${ordered.cycle.join(' → ')}`);
  if (ordered.order.some((s, i) => s !== subtasks[i]))
    repairs.push('reordered sub-tasks so that each comes after the ones it depends on');

  return { ok: true, plan: { subtasks: renameReserved(ordered.order, rules.reservedIds ?? [], repairs) }, repairs };
}

function normaliseCapability(raw: string, capabilities: ReadonlySet<string>): string | undefined {
  const lowered = raw.trim().toLowerCase().replace(/\s+/g, '_');
  if (capabilities.has(raw)) return raw;
  if (capabilities.has(lowered)) return lowered;
  const synonym = CAPABILITY_SYNONYMS[lowered] ?? CAPABILITY_SYNONYMS[lowered.replace(/_/g, '-')];
  return synonym && capabilities.has(synonym) ? synonym : undefined;
}

/** Kahn's algorithm keeping the plan's own order among ready sub-tasks; reports one cycle if any. */
function topologicalOrder(
  subtasks: readonly PlannedSubtask[],
): { ok: true; order: PlannedSubtask[] } | { ok: false; cycle: string[] } {
  const done = new Set<string>();
  const order: PlannedSubtask[] = [];
  while (order.length < subtasks.length) {
    const next = subtasks.find((s) => !done.has(s.id) && s.depends_on.every((d) => done.has(d)));
    if (!next) return { ok: false, cycle: findCycle(subtasks.filter((s) => !done.has(s.id))) };
    done.add(next.id);
    order.push(next);
  }
  return { ok: true, order };
}

/** Walks dependencies from a stuck sub-task until an id repeats: that loop is the cycle. */
function findCycle(stuck: readonly PlannedSubtask[]): string[] {
  const byId = new Map(stuck.map((s) => [s.id, s]));
  const path: string[] = [];
  let current = stuck[0];
  while (current && !path.includes(current.id)) {
    path.push(current.id);
    current = current.depends_on.map((d) => byId.get(d)).find((s) => s !== undefined);
  }
  if (!current) return path;
  return [...path.slice(path.indexOf(current.id)), current.id];
}

function renameReserved(subtasks: PlannedSubtask[], reserved: readonly string[], repairs: string[]): PlannedSubtask[] {
  const taken = new Set(subtasks.map((s) => s.id));
  const renames = new Map<string, string>();
  for (const s of subtasks) {
    if (!reserved.includes(s.id)) continue;
    let n = 1;
    while (taken.has(`${s.id}_${n}`) || reserved.includes(`${s.id}_${n}`)) n++;
    renames.set(s.id, `${s.id}_${n}`);
    taken.add(`${s.id}_${n}`);
    repairs.push(`renamed sub-task "${s.id}" to "${s.id}_${n}" (the name is used for the orchestrator's own step)`);
  }
  if (renames.size === 0) return subtasks;
  return subtasks.map((s) => ({
    ...s,
    id: renames.get(s.id) ?? s.id,
    depends_on: s.depends_on.map((d) => renames.get(d) ?? d),
  }));
}

/**
 * A plan's shape, independent of its wording: the capabilities of each dependency level, e.g.
 * "code+math>writing" (two parallel sub-tasks, then one that uses both). Ratings are credited to it.
 */
export function planPattern(plan: Plan): string {
  const level = new Map<string, number>();
  for (const s of plan.subtasks) level.set(s.id, Math.max(0, ...s.depends_on.map((d) => (level.get(d) ?? 0) + 1)));
  const levels: string[][] = [];
  for (const s of plan.subtasks) (levels[level.get(s.id) ?? 0] ??= []).push(s.capability);
  return levels.map((caps) => caps.sort().join('+')).join('>');
}
