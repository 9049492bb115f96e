// The router prior shipped with Fugusashi (daemon/assets/prior-v1.json, trained by
// `npm run train:prior`). Imported so esbuild bundles it into the daemon and the CLI: no file to
// find at run time, in the npm package or the .vsix.
import bundled from './prior-v1.json';
import type { PriorArtifact } from '../core/learned/prior';

export function bundledPrior(): PriorArtifact {
  const a = bundled as unknown as PriorArtifact;
  if (a.format !== 'fugusashi-prior') throw new Error('bundled router prior: unknown format');
  return a;
}
