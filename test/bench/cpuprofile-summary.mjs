// Summarises a V8 .cpuprofile (node --cpu-prof, or `bench:gateway --profile DIR`) by function:
// self time and total (inclusive) time, top N each, so a hot path's costs read as a short table.
// Usage: node test/bench/cpuprofile-summary.mjs FILE.cpuprofile [--top 30] [--filter TEXT] [--under FN]
//   --filter: only functions whose label contains TEXT; --under: only samples with FN on the stack
//   (what a function's time is made of).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' }, filter: { type: 'string' }, under: { type: 'string' } },
});
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Sample durations: timeDeltas[i] is the time before sample i.
const selfUs = new Map();
const deltas = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = deltas[i + 1] ?? 0;
  selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + dt);
}
const label = (n) => {
  const f = n.callFrame;
  const file = f.url ? f.url.replace(/^.*\/(node_modules\/)?/, '') : '';
  return `${f.functionName || '(anonymous)'} ${file}${f.url ? `:${f.lineNumber + 1}` : ''}`;
};
const self = new Map();
const total = new Map();
let all = 0;
const onStack = (id, text) => {
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) if (label(byId.get(cur)).startsWith(text)) return true;
  return false;
};
for (const [id, us] of selfUs) {
  if (values.under && !onStack(id, values.under)) continue;
  all += us;
  const n = byId.get(id);
  self.set(label(n), (self.get(label(n)) ?? 0) + us);
  // Inclusive: once per distinct function on the stack.
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur));
    if (seen.has(l)) continue;
    seen.add(l);
    total.set(l, (total.get(l) ?? 0) + us);
  }
}
const idle = [...self].filter(([l]) => /^\((idle|program|garbage collector)\)/.test(l));
const busy = all - (self.get('(idle) ') ?? 0);
const top = Number(values.top);
const show = (title, map) => {
  console.log(`\n${title} (ms, % of non-idle ${(busy / 1000).toFixed(0)} ms)`);
  [...map]
    .filter(([l]) => !values.filter || l.includes(values.filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .forEach(([l, us]) =>
      console.log(`${(us / 1000).toFixed(1).padStart(9)} ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${l}`),
    );
};
console.log(
  `profile ${(all / 1000).toFixed(0)} ms; ${idle.map(([l, us]) => `${l.trim()} ${(us / 1000).toFixed(0)} ms`).join(', ')}`,
);
show('self time', self);
show('total time', total);
