// Opening the two doors: the HTTP server's listen (with the port-in-use message users need) and
// the JSON-RPC door's per-window wiring (handlers, status pushes, join/leave bookkeeping).
import type { FastifyInstance } from 'fastify';
import { StatusNotification, type DaemonStatus } from '../../shared/protocol';
import { registerRpcHandlers, type RpcHooks } from '../rpc/handlers';
import type { Services } from '../services/types';
import type { DaemonRpcEndpoint } from './daemon-file';
import type { Lifecycle } from './lifecycle';
import { startRpcServer, type RpcServer } from './rpc-server';
import { DaemonStartError } from './types';

/** How long a graceful shutdown waits for requests in flight. */
const SHUTDOWN_GRACE_MS = 5000;

/** Listens, registers the HTTP door's shutdown phase, and returns where it listens. */
export async function listenHttp(
  app: FastifyInstance,
  where: { host: string; port: number },
  lifecycle: Lifecycle,
): Promise<{ host: string; port: number }> {
  try {
    await app.listen(where);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EADDRINUSE') throw err;
    const message = `Port ${where.port} on ${where.host} is already in use. Pick another with --port or server.port.`;
    throw new DaemonStartError(message, 1);
  }
  lifecycle.onShutdown('close-http', async () => {
    // In-flight answers get a few seconds to finish; then every connection is cut.
    const cut = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    await app.close();
    clearTimeout(cut);
  });
  const address = app.server.address();
  return { host: where.host, port: typeof address === 'object' && address ? address.port : where.port };
}

export interface RpcDoor {
  server: RpcServer;
  /** Pushes the current status to every window (after a config reload). */
  broadcastStatus(): void;
}

/** The JSON-RPC door on `endpoint`: every window gets the handlers and status pushes. */
export async function openRpcDoor(
  endpoint: DaemonRpcEndpoint,
  services: Services,
  hooks: RpcHooks & { status(): DaemonStatus },
  events: { lifecycle: Lifecycle; onLeave(): void; log(line: string): void },
): Promise<RpcDoor> {
  const windows = new Set<() => void>();
  const server: RpcServer = await startRpcServer(
    endpoint,
    ({ connection, left }) => {
      const detach = registerRpcHandlers(connection, services, hooks);
      const pushStatus = () =>
        void connection.sendNotification(StatusNotification, hooks.status()).catch(() => undefined);
      windows.add(pushStatus);
      void left.then(() => {
        windows.delete(pushStatus);
        detach();
        events.onLeave();
        events.log(`RPC client left (${server.clients} connected)`);
      });
      pushStatus();
      events.log(`RPC client joined (${server.clients} connected)`);
    },
    {
      onRefused: (reason) => events.log(`RPC connection closed: ${reason}`),
    },
  );
  events.lifecycle.onShutdown('close-rpc', () => server.close());
  events.log(`JSON-RPC on ${endpoint.path}`);
  return { server, broadcastStatus: () => windows.forEach((push) => push()) };
}
