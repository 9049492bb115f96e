// A fake upstream as a process, for tests that run the daemon or VS Code as real processes:
//   node --import tsx test/fakes/serve.ts --port 0 [--kind openai|anthropic|ollama] [--models a,b]
//        [--text "fixed answer"] [--first-byte-delay-ms N] [--chunk-delay-ms N]
// The first stdout line is the base URL (api_base convention). Exits on SIGTERM/SIGINT, or when stdin
// is a pipe and it closes (so a parent that dies takes the fake with it).
import { fstatSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startFake, type FakeBehaviour, type FakeKind } from './index';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    kind: { type: 'string', default: 'openai' },
    models: { type: 'string' },
    text: { type: 'string' },
    'first-byte-delay-ms': { type: 'string' },
    'chunk-delay-ms': { type: 'string' },
  },
});

if (values.port !== '0') {
  // Tests must never depend on fixed ports; the fake always binds an ephemeral one.
  console.error('serve.ts: only --port 0 is supported (the chosen port is printed)');
  process.exit(2);
}
const kind = values.kind as FakeKind;
if (!['openai', 'anthropic', 'ollama'].includes(kind)) {
  console.error(`serve.ts: unknown --kind ${kind}`);
  process.exit(2);
}
const behaviour: FakeBehaviour = {};
if (values.text !== undefined) behaviour.text = values.text;
if (values['first-byte-delay-ms']) behaviour.firstByteDelayMs = Number(values['first-byte-delay-ms']);
if (values['chunk-delay-ms']) behaviour.chunkDelayMs = Number(values['chunk-delay-ms']);

async function main() {
  const fake = await startFake(kind, {
    behaviour,
    // Nobody can read the recorded requests from another process; keep memory flat instead.
    record: false,
    ...(values.models ? { models: values.models.split(',').map((m) => m.trim()) } : {}),
  });
  process.stdout.write(fake.url + '\n');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await fake.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  const stdin = fstatSync(0);
  if (stdin.isFIFO() || stdin.isSocket()) {
    process.stdin.on('end', () => void stop());
    process.stdin.on('close', () => void stop());
    process.stdin.resume();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
