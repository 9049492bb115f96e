// The README's TypeScript snippet compiles, as a user would write it in their own project: the
// official `openai` client plus this package's types (package.json "types" → shared/client.ts,
// copied to dist/index.d.ts by the build), strict mode, no other dependency of the daemon.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import type * as client from '../../../shared/client';
import type * as openai from '../../../shared/openai';

const root = path.resolve(__dirname, '..', '..', '..');

// The public types must not drift from the ones the daemon answers with (checked by `npm run typecheck`).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameDecision: Same<client.RoutingDecision, openai.RoutingDecision> = true;
const sameStep: Same<client.OrchestrationStepSummary, openai.OrchestrationStepSummary> = true;

function readmeSnippet(): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it from other tools'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(match, 'README has a ```ts block under "Use it from other tools"');
  return match[1]!;
}

test('the README snippet reads routing_decision and type-checks against the packaged types', () => {
  assert.ok(sameDecision && sameStep);
  const snippet = readmeSnippet();
  const code = snippet
    .split('\n')
    .map((l) => l.replace(/\/\/.*$/, ''))
    .join('\n');
  assert.match(code, /answer\.routing_decision\.model/, 'the snippet shows the routing decision in code');

  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    name: string;
    main: string;
    types: string;
    exports: unknown;
  };
  const project = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-snippet-'));
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(path.join(project, 'snippet.ts'), snippet);
  // This package as npm installs it: package.json with the fields module resolution reads (with
  // "exports" present, Node16/NodeNext and bundlers ignore the top-level "types") + the declaration file.
  const installed = path.join(project, 'node_modules', pkg.name);
  mkdirSync(path.dirname(path.join(installed, pkg.types)), { recursive: true });
  const { name, main, types, exports } = pkg;
  writeFileSync(path.join(installed, 'package.json'), JSON.stringify({ name, main, types, exports }));
  writeFileSync(path.join(installed, main), '');
  cpSync(path.join(root, 'shared', 'client.ts'), path.join(installed, pkg.types));
  const openaiDir = path.join(root, 'node_modules', 'openai');
  symlinkSync(openaiDir, path.join(project, 'node_modules', 'openai'), 'dir');

  const program = ts.createProgram([path.join(project, 'snippet.ts')], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [path.join(root, 'node_modules', '@types')],
  });
  const problems = ts
    .getPreEmitDiagnostics(program)
    .map(
      (d) => `${d.file ? path.basename(d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    );
  assert.deepEqual(problems, []);
});
