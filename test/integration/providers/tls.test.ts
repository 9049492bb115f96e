// An https api_base through the transport against a real TLS server (a self-signed certificate made
// with openssl for the run): a certificate the process does not trust fails in the connect phase
// (another candidate may answer), a trusted connection answers, and a config's own Host header is
// the TLS server name sent (SNI), as node:http did; without one, an IP address sends none.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { OpenAICompatibleProvider } from '../../../daemon/providers/openai-compatible';
import { callOptions, modelFor, rejectsWith, request } from './helpers';

const provider = new OpenAICompatibleProvider();
let server: https.Server;
let base: string;
const serverNames: (string | false | null)[] = [];

before(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-tls-'));
  try {
    const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=upstream.test',
        '-addext',
        'subjectAltName=DNS:upstream.test,IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      serverNames.push((req.socket as TLSSocket).servername);
      req.resume();
      req.on('end', () => {
        const body = JSON.stringify({
          id: 'c1',
          object: 'chat.completion',
          created: 1,
          model: 'up-model',
          choices: [{ index: 0, message: { role: 'assistant', content: 'over tls' }, finish_reason: 'stop' }],
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => server.close());

test('a certificate the process does not trust fails in the connect phase, retryable', async () => {
  await rejectsWith(provider.chat(modelFor('openai', base), request('x'), callOptions()), {
    phase: 'connect',
    retryable: true,
  });
});

test('a trusted https upstream answers; a config Host header is the TLS server name sent', async () => {
  // Trust for this process only (the transport has no CA option of its own; NODE_EXTRA_CA_CERTS would
  // have to be set before start): node reads this variable at each TLS connect.
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  try {
    const plain = await provider.chat(modelFor('openai', base), request('x'), callOptions());
    assert.equal(plain.choices[0]?.message.content, 'over tls');
    const named = await provider.chat(
      modelFor('openai', base, { headers: { Host: 'upstream.test' } }),
      request('x'),
      callOptions(),
    );
    assert.equal(named.choices[0]?.message.content, 'over tls');
  } finally {
    delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  }
  assert.deepEqual(serverNames, [false, 'upstream.test']);
});
