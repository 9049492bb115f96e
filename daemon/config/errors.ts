// One error for every way a config can be wrong. It lists every problem at once (a user fixing a
// file wants all of them, not one per restart), each naming the field and the reason.

export class ConfigError extends Error {
  constructor(
    /** The file (or "discovery") the problems are in. */
    readonly source: string,
    /** "models[1].cost_per_input_token: must be >= 0", one per problem. */
    readonly problems: readonly string[],
  ) {
    super(`Invalid config ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
