// A `vscode-lm` pool member runs in a VS Code window. While no connected window offers its model
// (VS Code closed, the daemon serving HTTP clients alone; or the window's models changed), it is
// marked unavailable like a model whose API key is unset: `auto` leaves it out and GET /v1/models
// says why. Without this, every request the router sent there first failed an attempt and counted
// a failure (errors in the stats, then a cooldown, then again).
import type { ModelConfig } from '../../shared/config';
import type { ServiceConfig } from './deps';

/** What the availability needs from the RPC door's hub of windows. */
export interface VscodeLmWindows {
  /** A connected window offers this VS Code model id. */
  available(modelId: string): boolean;
  /** Changes whenever a window joins, leaves or reports its models. */
  readonly revision: number;
}

export const NO_WINDOW_OFFERS_IT = 'no connected VS Code window offers this model';

/**
 * The services' view of the config with each vscode-lm member's availability. Computed once per
 * config and windows' revision: the services read the config on every request, and the pool's
 * model objects keep their identity between changes (per-model caches key on them).
 */
export class VscodeLmAvailability {
  private last: { config: ServiceConfig; revision: number; view: ServiceConfig } | undefined;

  constructor(private readonly windows: VscodeLmWindows) {}

  view(config: ServiceConfig): ServiceConfig {
    const revision = this.windows.revision;
    if (this.last?.config === config && this.last.revision === revision) return this.last.view;
    let changed = false;
    const pool = config.pool.map((m): ModelConfig => {
      if (m.provider !== 'vscode-lm' || m.unavailable || this.windows.available(m.model)) return m;
      changed = true;
      return { ...m, unavailable: NO_WINDOW_OFFERS_IT };
    });
    const view = changed ? { ...config, pool } : config;
    this.last = { config, revision, view };
    return view;
  }
}
