// README's "Dependencies and why" is the one place a newcomer learns why each package is there, so it
// must name every package package.json installs. It had fallen behind (yaml, vscode-jsonrpc, mocha,
// the build and lint tools were missing).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.join(__dirname, '../../..');

test("README's dependency list names every package of package.json", () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Dependencies and why'));
  assert.ok(section.length > 100, 'the section exists');
  // "@opentelemetry/*" followed by its members' short names counts for each of them.
  const grouped = (name: string) =>
    name.startsWith('@opentelemetry/') &&
    section.includes('`@opentelemetry/*`') &&
    section.includes(`\`${name.slice('@opentelemetry/'.length)}\``);
  const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies });
  const missing = names.filter((name) => !section.includes(`\`${name}\``) && !grouped(name));
  assert.deepEqual(missing, []);
});
