// The daemon's version, reported by /health, daemon.json and `fugusashi --version`. Kept in step
// with package.json by a unit test rather than read at run time (bundles have no package.json).
export const VERSION = '0.1.0';
