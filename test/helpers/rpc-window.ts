// A VS Code window's side of the JSON-RPC join, for tests: reads daemon.json, connects to its
// socket and sends `initialize`, exactly as the extension does.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  createMessageConnection,
  RequestType,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { DAEMON_FILE, type DaemonFile } from '../../shared/daemon';

const Initialize = new RequestType<unknown, unknown, void>('initialize');

export interface RpcWindow {
  connection: MessageConnection;
  close(): void;
}

export async function connectWindow(dataDir: string): Promise<RpcWindow> {
  const info = JSON.parse(readFileSync(path.join(dataDir, DAEMON_FILE), 'utf8')) as DaemonFile;
  const socket = net.connect(info.rpc.path);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const connection = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
  connection.listen();
  await connection.sendRequest(Initialize, { processId: process.pid, capabilities: {} });
  return {
    connection,
    close: () => {
      connection.dispose();
      socket.destroy();
    },
  };
}
