import { runMocha } from './mocha';
export const run = () =>
  runMocha(async () => {
    await import('./windowA.test');
    await import('./agent.test');
  });
