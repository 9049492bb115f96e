// undici's Pool module on its own: `import … from 'undici'` loads (and bundles) all of undici — fetch,
// WebSocket, caches, mocks — which cost the daemon and the CLI ~1 MB of bundle and ~80 ms at start for
// a class the transport alone uses. undici has no exports map, so its files are importable; the types
// are the package's own.
declare module 'undici/lib/dispatcher/pool' {
  import { Pool } from 'undici';
  export = Pool;
}
