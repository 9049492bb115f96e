// Runs mocha inside the extension host (the `run()` that extensionTestsPath modules export).
import Mocha from 'mocha';

export function runMocha(load: () => Promise<unknown>, timeoutMs = 120_000): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: timeoutMs, color: false, reporter: 'spec' });
  // FUGUSASHI_VSCODE_GREP: run only the matching tests (iterating on one suite; CI runs all).
  const grep = process.env.FUGUSASHI_VSCODE_GREP;
  if (grep) mocha.grep(new RegExp(grep));
  // Define describe/it globally, then load the (bundled) test module so it registers its suites.
  mocha.suite.emit('pre-require', globalThis, 'bundle', mocha);
  return load().then(
    () =>
      new Promise<void>((resolve, reject) => {
        mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} test(s) failed`)) : resolve()));
      }),
  );
}
