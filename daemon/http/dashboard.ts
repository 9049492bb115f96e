// Serves the dashboard (webview/ bundled into dist/webview/) at GET /dashboard and its assets at
// GET /dashboard/<file>. The app's onRequest hook has already applied the host and token rules to
// these routes like to every other; with a token the page is opened as /dashboard?token=T and the
// token is carried to the assets and sent as a header by the page's own API calls.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { BenchmarkReport } from '../../shared/api';
import { dashboardCsp, renderDashboardPage } from '../../shared/webview';
import { errorBody } from './errors';
import { loadLastBenchmark } from '../benchmark/last-report';

export interface DashboardPluginOptions {
  /** Folder with index.html, main.js, style.css, uplot.css (default: dist/webview next to the bundle). */
  assetsDir?: string;
  /** The most recent benchmark report, for GET /v1/benchmark/last (204 while there is none). */
  lastBenchmark?: () => BenchmarkReport | null | Promise<BenchmarkReport | null>;
  /** Without `lastBenchmark`: read the report saved by saveLastBenchmark() in this data directory. */
  dataDir?: string;
}

/** Only these files are served; nothing else under the folder is reachable. */
const ASSETS: Record<string, string> = {
  'main.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'uplot.css': 'text/css; charset=utf-8',
};

/** dist/daemon.js → dist/webview; running from source (tsx) → <repo>/dist/webview. */
export function defaultAssetsDir(): string {
  const candidates = [path.join(__dirname, 'webview'), path.resolve(__dirname, '../../dist/webview')];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html'))) ?? candidates[0]!;
}

export function createDashboardPlugin(options: DashboardPluginOptions = {}): FastifyPluginAsync {
  return (app) => {
    const dir = options.assetsDir ?? defaultAssetsDir();
    // Read once per process: the bundle does not change while the daemon runs (except in dev, where
    // a missing file is read again on the next request).
    const cache = new Map<string, Buffer>();
    const read = (name: string): Buffer | null => {
      const hit = cache.get(name);
      if (hit) return hit;
      const file = path.join(dir, name);
      if (!existsSync(file)) return null;
      const data = readFileSync(file);
      cache.set(name, data);
      return data;
    };

    const page = async (request: { query: unknown }, reply: FastifyReply) => {
      const template = read('index.html');
      if (!template) {
        const e = errorBody(
          'NotFound',
          `The dashboard is not built (no ${path.join(dir, 'index.html')}); run: node esbuild.mjs`,
        );
        return reply.code(e.status).send(e.body);
      }
      const nonce = randomBytes(16).toString('base64');
      const token = (request.query as Record<string, string | undefined> | undefined)?.['token'];
      const csp = dashboardCsp({ nonce, assetSource: "'self'", connectSource: "'self'" });
      const html = renderDashboardPage(template.toString('utf8'), {
        csp,
        nonce,
        base: '/dashboard',
        host: 'browser',
        query: token ? `?token=${encodeURIComponent(token)}` : '',
      });
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', `${csp}; frame-ancestors 'none'`)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-store')
        .send(html);
    };
    app.get('/dashboard', page);
    app.get('/dashboard/', page);

    app.get<{ Params: { file: string } }>('/dashboard/:file', async (request, reply) => {
      const type = ASSETS[request.params.file];
      const data = type ? read(request.params.file) : null;
      if (!type || !data) {
        const e = errorBody('NotFound', `No dashboard asset ${request.params.file}`);
        return reply.code(e.status).send(e.body);
      }
      return reply
        .header('content-type', type)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-cache')
        .send(data);
    });

    const dataDir = options.dataDir;
    const lastBenchmark = options.lastBenchmark ?? (dataDir ? () => loadLastBenchmark(dataDir) : () => null);
    // 204 rather than 404 while no benchmark has run: an expected state, not an error in the page's console.
    app.get('/v1/benchmark/last', async (_request, reply) => {
      const report = await lastBenchmark();
      return report ? report : reply.code(204).send();
    });
    return Promise.resolve();
  };
}

/** The plugin with defaults, for `buildApp(services, { plugins: [dashboardPlugin] })`. */
export const dashboardPlugin: FastifyPluginAsync = createDashboardPlugin();
