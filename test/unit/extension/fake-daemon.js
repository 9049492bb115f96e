// A stand-in daemon process for discovery tests: it follows daemon/main.ts's join contract (lock
// file, daemon.json written once the socket listens, exit code 3 when another daemon holds the lock)
// but serves nothing beyond accepting connections. Args: --data-dir D [--delay-ms N] [--fail] [--log-file F].
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const dataDir = arg('--data-dir');
const delay = Number(arg('--delay-ms') ?? 0);
if (process.argv.includes('--fail')) {
  // As daemon/app/process.ts reports a failed start: to stderr (ignored: the daemon is detached) and the log.
  const line = `${new Date().toISOString()} fugusashi: Port 6060 on 127.0.0.1 is already in use.\n`;
  process.stderr.write(line);
  if (arg('--log-file')) fs.appendFileSync(arg('--log-file'), line);
  process.exit(1);
}
fs.mkdirSync(dataDir, { recursive: true });
const lock = path.join(dataDir, 'daemon.lock');
try {
  fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
} catch {
  const holder = Number(fs.readFileSync(lock, 'utf8'));
  let alive = false;
  try {
    process.kill(holder, 0);
    alive = true;
  } catch {}
  if (alive) process.exit(3);
  fs.writeFileSync(lock, String(process.pid));
}
const sock = path.join(dataDir, 'daemon.sock');
try {
  fs.unlinkSync(sock);
} catch {}
const server = net.createServer((c) => c.on('error', () => {}));
setTimeout(() => {
  server.listen(sock, () => {
    const info = {
      pid: process.pid,
      version: 'fake',
      host: '127.0.0.1',
      port: 0,
      started_at: Date.now(),
      data_dir: dataDir,
      config_path: null,
      rpc: { transport: 'unix', path: sock },
      idle_shutdown_seconds: 0,
    };
    fs.writeFileSync(path.join(dataDir, 'daemon.json.tmp'), JSON.stringify(info));
    fs.renameSync(path.join(dataDir, 'daemon.json.tmp'), path.join(dataDir, 'daemon.json'));
  });
}, delay);
process.on('SIGTERM', () => {
  server.close();
  for (const f of ['daemon.json', 'daemon.lock']) {
    try {
      fs.unlinkSync(path.join(dataDir, f));
    } catch {}
  }
  process.exit(0);
});
setTimeout(() => process.exit(0), 60_000).unref?.();
// keep alive until SIGTERM or the 60 s safety net
setInterval(() => {}, 1000);
