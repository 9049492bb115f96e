import { runMocha } from './mocha';
export const run = () => runMocha(() => import('./windowA.test'));
