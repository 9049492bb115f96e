import { recall } from './driver';
import { runMocha } from './mocha';
// windowB.test.ts reloads window B once, with the dashboard open; the reloaded window runs this
// module again, which then checks what the reload restored.
export const run = () =>
  runMocha(() => (recall('dashboardReload') ? import('./windowB-reloaded.test') : import('./windowB.test')));
