// gateway (issue 12): /v1/models extras: each pool model's price source (config, the bundled
// table, local, unknown: flagged), its live health from the cooldown tracker, and where the
// router's prior places it (so a guess from the price can be seen, and corrected with quality:).
import type { ModelListEntry } from '../../shared/openai';
import { unknownPriceWarning } from '../core/prices/lookup';
import type { ServiceDeps } from './deps';
import type { RoutingService } from './routing';

export function withPoolStatus(
  entries: ModelListEntry[],
  deps: Pick<ServiceDeps, 'config' | 'learner'>,
  routing: Pick<RoutingService, 'cooldown'>,
): ModelListEntry[] {
  const byName = new Map(deps.config().pool.map((m) => [m.name, m]));
  const failing = new Map(routing.cooldown.failures().map((f) => [f.model, f]));
  for (const entry of entries) {
    const model = byName.get(entry.id);
    if (!model) continue;
    entry.price_source = model.price_source ?? 'config';
    if (model.price_ref) entry.price_ref = model.price_ref;
    if (model.cost_per_cached_input_token !== undefined)
      entry.cost_per_cached_input_token = model.cost_per_cached_input_token;
    if (model.cost_per_cache_write_token !== undefined)
      entry.cost_per_cache_write_token = model.cost_per_cache_write_token;
    if (model.cost_per_cache_write_1h_token !== undefined)
      entry.cost_per_cache_write_1h_token = model.cost_per_cache_write_1h_token;
    const warning = unknownPriceWarning(model);
    if (warning) entry.price_warning = warning;
    const quality = deps.learner?.placement?.(model);
    if (quality) entry.quality = quality;
    const f = failing.get(model.name);
    const remaining = routing.cooldown.remainingSeconds(model.name);
    entry.health = {
      state: remaining > 0 ? 'cooling_down' : f ? 'failing' : 'ok',
      consecutive_failures: f?.consecutive_failures ?? 0,
      cooldown_remaining_s: Math.round(remaining * 10) / 10,
    };
  }
  return entries;
}
