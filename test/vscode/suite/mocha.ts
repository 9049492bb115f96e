// Runs mocha inside the extension host (the `run()` that extensionTestsPath modules export).
import Mocha from 'mocha';

export function runMocha(load: () => Promise<unknown>, timeoutMs = 120_000): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: timeoutMs, color: false, reporter: 'spec' });
  // Define describe/it globally, then load the (bundled) test module so it registers its suites.
  mocha.suite.emit('pre-require', globalThis, 'bundle', mocha);
  return load().then(
    () =>
      new Promise<void>((resolve, reject) => {
        mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} test(s) failed`)) : resolve()));
      }),
  );
}
