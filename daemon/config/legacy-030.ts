// Fugusashi 0.3.0 (Python) config files, read as they are. 0.3.0 shipped a config.yaml with
// top-level `host`/`port`, `tier1`/`tier2`/`observability` sections and per-model `max_tokens`,
// `weight`, `rpm`, `tpm`, and let `provider` and `capabilities` default. The schema here has other
// names for some of these and no equivalent for the rest, so a 0.3.0 file was refused field by field.
// This translates what has an equivalent into today's keys (today's own keys win when both are set),
// drops what has none, and says both in one warning each, before the schema sees the file.

import { LITELLM_HOSTED, LITELLM_SELF_HOSTED } from './litellm-providers';

type Mapping = Record<string, unknown>;

const isMapping = (v: unknown): v is Mapping => typeof v === 'object' && v !== null && !Array.isArray(v);

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

/** 0.3.0's model fields with no equivalent: LiteLLM's load-balancing weight and rate limits. */
const DROPPED_MODEL_KEYS = ['weight', 'rpm', 'tpm'] as const;

/**
 * Returns `value` with 0.3.0's keys translated (a new object when anything changed). `warnings` gets
 * one line naming what was translated and one naming what was ignored.
 */
export function translateLegacy030Config(value: unknown, warnings: string[]): unknown {
  if (!isMapping(value)) return value;
  const out: Mapping = { ...value };
  const translated: string[] = [];
  const ignored: string[] = [];
  const section = (key: string): Mapping => {
    const current = out[key];
    const copy: Mapping = isMapping(current) ? { ...current } : {};
    out[key] = copy;
    return copy;
  };
  /** Moves `from` (already read) to `target[key]` unless today's key is set there. */
  const move = (fromName: string, fromValue: unknown, target: () => Mapping, toName: string, key: string) => {
    if (fromValue === undefined || fromValue === null) return;
    const t = target();
    if (t[key] !== undefined) ignored.push(`${fromName} (${toName} is set)`);
    else {
      t[key] = fromValue;
      translated.push(`${fromName} → ${toName}`);
    }
  };

  if ('host' in out) {
    const host = out['host'];
    delete out['host'];
    const server = isMapping(out['server']) ? out['server'] : {};
    // 0.3.0 listened on 0.0.0.0 by default; here an address other than loopback needs access control.
    if (typeof host === 'string' && !LOOPBACK_HOSTS.has(host) && server['token'] === undefined)
      ignored.push(`host: ${host} (listening beyond loopback needs server.token; set server.host too)`);
    else move('host', host, () => section('server'), 'server.host', 'host');
  }
  if ('port' in out) {
    const port = out['port'];
    delete out['port'];
    move('port', port, () => section('server'), 'server.port', 'port');
  }
  if ('api_key' in out) {
    // 0.3.0 read it but never checked it on a request; requiring it now would lock its clients out.
    delete out['api_key'];
    ignored.push('api_key (0.3.0 never checked it; set server.token to require a token)');
  }

  if ('tier1' in out) {
    const tier1 = out['tier1'];
    delete out['tier1'];
    const router = isMapping(tier1) && isMapping(tier1['router']) ? tier1['router'] : {};
    move(
      'tier1.router.prefer_local',
      router['prefer_local'],
      () => section('routing'),
      'routing.prefer_local',
      'prefer_local',
    );
    move(
      'tier1.router.confidence_threshold',
      router['confidence_threshold'],
      () => section('routing'),
      'routing.min_confidence',
      'min_confidence',
    );
    const rest = [
      ...Object.keys(isMapping(tier1) ? tier1 : {})
        .filter((k) => k !== 'router')
        .map((k) => `tier1.${k}`),
      ...Object.keys(router)
        .filter((k) => k !== 'prefer_local' && k !== 'confidence_threshold')
        .map((k) => `tier1.router.${k}`),
    ];
    if (rest.length) ignored.push(rest.join(', '));
  }

  if ('tier2' in out) {
    const tier2 = out['tier2'];
    delete out['tier2'];
    const t2 = isMapping(tier2) ? tier2 : {};
    // The orchestrator needs no switch here (`auto:orchestrate` asks for it); its models carry over.
    if (t2['enabled'] === true) {
      move(
        'tier2.planner_model',
        t2['planner_model'],
        () => section('orchestrator'),
        'orchestrator.planner',
        'planner',
      );
      move(
        'tier2.synthesizer_model',
        t2['synthesizer_model'],
        () => section('orchestrator'),
        'orchestrator.synthesizer',
        'synthesizer',
      );
      move(
        'tier2.max_subtasks',
        t2['max_subtasks'],
        () => section('orchestrator'),
        'orchestrator.max_subtasks',
        'max_subtasks',
      );
    }
    const used = t2['enabled'] === true ? ['planner_model', 'synthesizer_model', 'max_subtasks'] : [];
    const rest = Object.keys(t2).filter((k) => !used.includes(k));
    if (rest.length) ignored.push(rest.map((k) => `tier2.${k}`).join(', '));
  }

  if ('observability' in out) {
    delete out['observability'];
    ignored.push('observability (the daemon logs every decision; see /v1/routing/decisions and /metrics)');
  }

  if (Array.isArray(out['models'])) {
    out['models'] = out['models'].map((model: unknown, i) => {
      if (!isMapping(model)) return model;
      const m: Mapping = { ...model };
      const at = `models[${i}]`;
      // 0.3.0's defaults for the two fields it did not require.
      if (m['provider'] === undefined) {
        m['provider'] = 'openai';
        translated.push(`${at}.provider (unset) → "openai", as 0.3.0 defaulted`);
      }
      translateLiteLlmProvider(m, at, translated);
      if (m['capabilities'] === undefined) {
        m['capabilities'] = ['chat'];
        translated.push(`${at}.capabilities (unset) → ["chat"], as 0.3.0 defaulted`);
      }
      const caps = m['capabilities'];
      // 0.3.0's example pool tags models "creative"; the capability here is "writing".
      if (Array.isArray(caps) && caps.includes('creative')) {
        m['capabilities'] = [...new Set(caps.map((c: unknown) => (c === 'creative' ? 'writing' : c)))];
        translated.push(`${at}.capabilities "creative" → "writing"`);
      }
      if ('max_tokens' in m) {
        const maxTokens = m['max_tokens'];
        delete m['max_tokens'];
        move(`${at}.max_tokens`, maxTokens, () => m, `${at}.max_output_tokens`, 'max_output_tokens');
      }
      for (const key of DROPPED_MODEL_KEYS) {
        if (!(key in m)) continue;
        delete m[key];
        ignored.push(`${at}.${key}`);
      }
      return m;
    });
  }

  if (translated.length) warnings.push(`Fugusashi 0.3.0 config keys read as today's: ${translated.join('; ')}`);
  const routing = isMapping(out['routing']) ? out['routing'] : {};
  if (translated.some((t) => t.startsWith('tier1.router.prefer_local')) && routing['strategies'] === undefined)
    // 0.3.0 had no data-free quality estimate: with nothing learned its cost router (and prefer_local)
    // decided. Here the learned strategy's public-data prior decides before the cost strategy.
    warnings.push(
      'Fugusashi 0.3.0 routed by past outcomes, then by capability and price with prefer_local; here a prior from ' +
        "public outcome data decides first and prefer_local applies to the cost strategy after it. For 0.3.0's " +
        'order set routing.strategies: [similarity, cost, fallback]',
    );
  if (ignored.length) warnings.push(`Fugusashi 0.3.0 config keys ignored (no equivalent here): ${ignored.join('; ')}`);
  return translated.length || ignored.length ? out : value;
}

/**
 * 0.3.0 passed `provider` and `model` to LiteLLM, which knows providers this schema does not name:
 * `provider: groq` (or `provider: openai` with `model: groq/llama-3.1-8b-instant`, LiteLLM's own
 * spelling) is Groq's OpenAI-compatible endpoint. Rewrites such a model (in place) to `openai` at
 * that endpoint; its key comes from the provider's variable (env-keys.ts), as LiteLLM read it.
 */
function translateLiteLlmProvider(m: Mapping, at: string, translated: string[]): void {
  const given = m['provider'];
  const model = m['model'];
  if (typeof given !== 'string' || typeof model !== 'string') return;
  let provider: string = given;
  const prefix = model.includes('/') ? model.slice(0, model.indexOf('/')) : '';
  // LiteLLM's "groq/llama-3.1-8b-instant" names the provider in the model id.
  if (provider === 'openai' && m['api_base'] === undefined && prefix in LITELLM_HOSTED) provider = prefix;
  const hosted = LITELLM_HOSTED[provider];
  const selfHosted = LITELLM_SELF_HOSTED[provider];
  if (!hosted && !selfHosted) return;
  const upstreamModel = prefix === provider ? model.slice(prefix.length + 1) : model;
  const kind = hosted ? 'openai' : selfHosted!;
  const changes = [`provider "${provider}" → "${kind}"`];
  m['provider'] = kind;
  if (upstreamModel !== model) {
    m['model'] = upstreamModel;
    changes.push(`model "${upstreamModel}"`);
  }
  if (hosted && m['api_base'] === undefined) {
    m['api_base'] = hosted.apiBase;
    changes.push(`api_base ${hosted.apiBase}`);
  }
  translated.push(`${at} (LiteLLM's ${provider}): ${changes.join(', ')}`);
}
