// OpenTelemetry: with telemetry.otlp_endpoint set, each model request becomes a span with the GenAI
// semantic conventions, exported over OTLP/HTTP (JSON) — received here by a loopback collector.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; doubleValue?: number };
}
interface OtlpSpan {
  name: string;
  kind: number;
  attributes: OtlpAttribute[];
}

let collector: http.Server;
let daemon: TestDaemon;
const spans: OtlpSpan[] = [];
const resources: OtlpAttribute[][] = [];

before(async () => {
  collector = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces' && req.headers['content-type']?.includes('json')) {
        const data = JSON.parse(body) as {
          resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const rs of data.resourceSpans) {
          resources.push(rs.resource.attributes);
          for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const port = (collector.address() as AddressInfo).port;
  daemon = await startTestDaemon({
    config: { telemetry: { otlp_endpoint: `http://127.0.0.1:${port}/v1/traces`, service_name: 'fugu-test' } },
    rpc: false,
  });
});
after(async () => {
  await daemon?.close();
  collector?.close();
});

test('a chat request is exported as a GenAI span', async () => {
  const res = await fetch(`${daemon.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'trace me' }] }),
  });
  assert.equal(res.status, 200);
  const { id } = (await res.json()) as { id: string };
  for (let i = 0; i < 50 && spans.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  const span = spans.find((s) =>
    s.attributes.some((a) => a.key === 'gen_ai.response.id' && a.value.stringValue === id),
  );
  assert.ok(span, `a span for ${id}`);
  const attr = (key: string) => span.attributes.find((a) => a.key === key)?.value;
  assert.equal(attr('gen_ai.operation.name')?.stringValue, 'chat');
  assert.equal(attr('gen_ai.request.model')?.stringValue, 'auto');
  assert.match(attr('gen_ai.response.model')?.stringValue ?? '', /^model-[ab]$/);
  assert.ok(Number(attr('gen_ai.usage.input_tokens')?.intValue) > 0);
  assert.ok(Number(attr('gen_ai.usage.output_tokens')?.intValue) > 0);
  assert.equal(span.kind, 3, 'SPAN_KIND_CLIENT');
  assert.ok(resources.some((r) => r.some((a) => a.key === 'service.name' && a.value.stringValue === 'fugu-test')));
});
