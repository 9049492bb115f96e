// An example Fugusashi routing-strategy plugin. Enable it in config.yaml:
//
//   routing:
//     plugins: ['./examples/cheap-for-short.mjs']   # relative to the config file
//
// Short prompts without code or math go to the cheapest candidate (a local model when there is
// one); everything else passes, so the built-in chain (learned → cost → fallback) decides.

/** @type {import('fugusashi/plugin').Strategy} */
const cheapForShort = {
  name: 'cheap-for-short',
  decide(ctx) {
    const f = ctx.prompt.features;
    if (f.chars > 280 || f.hasCode || f.hasMath || ctx.costWeight === 0) return null;
    let best = null;
    for (const c of ctx.candidates) {
      const cost = c.local ? -1 : c.expected_cost_usd;
      if (best === null || cost < best.cost) best = { name: c.name, cost };
    }
    if (best === null) return null;
    return {
      model: best.name,
      confidence: 0.8,
      explanation: `Short prompt (${f.chars} characters, no code or math): the cheapest model, ${best.name}.`,
    };
  },
};

export default cheapForShort;
