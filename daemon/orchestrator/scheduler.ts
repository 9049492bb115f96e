// Runs a dependency graph of steps: every step starts as soon as the steps it depends on have
// succeeded, at most `maxParallel` at a time, in plan order among the ready ones. A failed step
// skips its dependents (they would work from a missing input). `stop` lets the caller end the run
// early (budget, cancellation): running steps are aborted and nothing new starts.

export interface DagNode {
  id: string;
  depends_on: readonly string[];
}

export type NodeResult<R> =
  { status: 'ok'; value: R } | { status: 'failed'; error: unknown } | { status: 'skipped'; reason: string };

export interface DagRunOptions<N extends DagNode, R> {
  /** In dependency order (every id in depends_on appears earlier). */
  nodes: readonly N[];
  maxParallel: number;
  /** Aborting it stops the run: running steps see it through their own signal. */
  signal: AbortSignal;
  /** `deps` holds the results of the node's dependencies. */
  run(node: N, deps: ReadonlyMap<string, R>, signal: AbortSignal): Promise<R>;
}

/** Resolves when every node has a result (never rejects); results are keyed by id. */
export async function runDag<N extends DagNode, R>(options: DagRunOptions<N, R>): Promise<Map<string, NodeResult<R>>> {
  const { nodes, signal } = options;
  const maxParallel = Math.max(1, Math.floor(options.maxParallel));
  const results = new Map<string, NodeResult<R>>();
  const running = new Map<string, Promise<void>>();
  // One controller for the steps: aborting the caller's signal aborts every running step.
  const steps = new AbortController();
  const onAbort = (): void => steps.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });

  const stopReason = (): string =>
    signal.reason instanceof Error
      ? signal.reason.message
      : typeof signal.reason === 'string'
        ? signal.reason
        : 'stopped';

  const stopped = aborted(signal);
  try {
    while (results.size < nodes.length) {
      if (signal.aborted) {
        await Promise.allSettled(running.values());
        for (const node of nodes)
          if (!results.has(node.id)) results.set(node.id, { status: 'skipped', reason: stopReason() });
        break;
      }
      let launched = false;
      for (const node of nodes) {
        if (running.size >= maxParallel) break;
        if (results.has(node.id) || running.has(node.id)) continue;
        const depResults = node.depends_on.map((d) => [d, results.get(d)] as const);
        const broken = depResults.find(([, r]) => r !== undefined && r.status !== 'ok');
        if (broken) {
          results.set(node.id, { status: 'skipped', reason: `depends on "${broken[0]}", which ${broken[1]?.status}` });
          launched = true; // a result was added: rescan before waiting
          continue;
        }
        if (depResults.some(([, r]) => r === undefined)) continue;
        const deps = new Map<string, R>();
        for (const [d, r] of depResults) if (r?.status === 'ok') deps.set(d, r.value);
        const task = (async () => {
          try {
            results.set(node.id, { status: 'ok', value: await options.run(node, deps, steps.signal) });
          } catch (error) {
            results.set(node.id, { status: 'failed', error });
          } finally {
            running.delete(node.id);
          }
        })();
        running.set(node.id, task);
        launched = true;
      }
      if (results.size >= nodes.length) break;
      if (!launched && running.size === 0) {
        // Unreachable for a validated plan (dependency order); guards against a caller's bad graph.
        for (const node of nodes)
          if (!results.has(node.id)) results.set(node.id, { status: 'skipped', reason: 'its dependencies never ran' });
        break;
      }
      if (running.size > 0 && (!launched || running.size >= maxParallel))
        await Promise.race([...running.values(), stopped]);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return results;
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
