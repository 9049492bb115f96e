// The daemon's shutdown, as named phases in a fixed order. Each part of the daemon registers its
// cleanup under the phase it belongs to when it starts; shutdown runs the phases in the order
// below whatever the order of registration, and within a phase the latest registration first.
// A step that fails is logged and the next one still runs: the store must close even when a
// socket refused to.
export const SHUTDOWN_PHASES = [
  /** Timers and watchers that could start new work (idle watchdog, config file watch). */
  'stop-watchers',
  /** daemon.json goes first, so no new client finds a daemon that is leaving. */
  'unpublish',
  /** The JSON-RPC door: every window's connection and the socket. */
  'close-rpc',
  /** The HTTP door: in-flight answers get a grace period, then connections are cut. */
  'close-http',
  /** Background work that reads the store (the learner's initial load, benchmark runs). */
  'stop-background',
  /** The store writes its final snapshot and releases the data-dir lock: always last. */
  'close-store',
] as const;

export type ShutdownPhase = (typeof SHUTDOWN_PHASES)[number];
type Step = () => void | Promise<void>;

export class Lifecycle {
  private readonly steps = new Map<ShutdownPhase, Step[]>();
  private shuttingDown: Promise<void> | null = null;
  private resolveClosed!: () => void;
  /** Resolves once shutdown has run every phase. */
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  constructor(private readonly log: (line: string) => void) {}

  onShutdown(phase: ShutdownPhase, step: Step): void {
    const list = this.steps.get(phase) ?? [];
    list.unshift(step);
    this.steps.set(phase, list);
  }

  get stopping(): boolean {
    return this.shuttingDown !== null;
  }

  /** Runs every phase once; later calls return the same promise. */
  shutdown(reason: string): Promise<void> {
    this.shuttingDown ??= (async () => {
      this.log(`shutting down (${reason})`);
      for (const phase of SHUTDOWN_PHASES) {
        for (const step of this.steps.get(phase) ?? []) {
          try {
            await step();
          } catch (err) {
            this.log(`shutdown phase ${phase} failed: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
      }
      this.resolveClosed();
    })();
    return this.shuttingDown;
  }
}
