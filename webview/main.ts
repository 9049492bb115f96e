// Dashboard entry point, the same bundle for the browser (/dashboard) and the VS Code webview.
// Only the transport differs; everything is driven by live events, with no polling loop.
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import type { FeedbackStats, LiveEvent, UsageStats } from '../shared/api';
import { autoBucketMs, BUCKETS, MAX_BUCKETS, type BucketChoice } from './buckets';
import { byId } from './dom';
import { HttpTransport } from './http-transport';
import { browserTheme, currentHost, initBrowserTheme, setBrowserTheme, watchTheme } from './theme';
import type { ConnectionState, Transport } from './transport';
import { BenchmarkView } from './views/benchmark';
import { DecisionsTable } from './views/decisions';
import { renderCards, renderRankings, renderStrategies, UsageChart } from './views/overview';
import { TraceView } from './views/trace';
import { VsCodeTransport, type VsCodeApi } from './vscode-transport';

declare function acquireVsCodeApi(): VsCodeApi;

function createTransport(): Transport {
  if (currentHost() === 'vscode' && typeof acquireVsCodeApi === 'function')
    return new VsCodeTransport(acquireVsCodeApi());
  // The daemon accepts ?token= for pages that cannot set headers; the page then sends it as a header.
  const token = new URLSearchParams(location.search).get('token');
  return new HttpTransport(location.origin, token);
}

/** Runs `task` at most once per `ms`, trailing: a burst of events causes one refresh, not one each. */
function coalesce(ms: number, task: () => Promise<void>): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      void task();
    }, ms);
  };
}

class Dashboard {
  private stats: UsageStats | null = null;
  private feedback: FeedbackStats | null = null;
  private bucketChoice: BucketChoice = 'auto';
  private readonly usage = new UsageChart();
  private readonly benchmark = new BenchmarkView();
  private readonly trace: TraceView;
  private readonly decisions: DecisionsTable;
  private readonly refreshAggregates = coalesce(750, () => this.loadAggregates());
  /** What failed to load (statistics, usage, decisions), shown until it loads. */
  private readonly failures = new Map<string, string>();

  constructor(private readonly transport: Transport) {
    this.trace = new TraceView(
      transport,
      (m) => this.toast(m),
      () => this.decisions.focusSelected(),
    );
    this.decisions = new DecisionsTable(transport, {
      onOpenTrace: (id) => void this.trace.open(id),
      onError: (m) => this.toast(m),
      onLoadResult: (error) => this.loadResult('decisions', error),
    });
    byId('load-retry').addEventListener('click', () => {
      void this.loadAggregates();
      if (this.failures.has('decisions')) void this.decisions.reload();
    });
    // Escape closes the trace panel, as it closes any side panel.
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.trace.isOpen) this.trace.close();
    });
    byId('bucket').addEventListener('change', (e) => {
      this.bucketChoice = (e.target as HTMLSelectElement).value as BucketChoice;
      void this.loadUsage();
    });
    // `fugusashi benchmark` runs in a process of its own and only saves its report: no live event
    // reaches an open page. Opening the tab reads the saved report again, so a run that ended since
    // the page loaded is shown (it used to need a reload of the page).
    byId('tabs').addEventListener('vsc-tabs-select', (e) => {
      const index = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
      const header = document.querySelectorAll<HTMLElement>('vscode-tab-header')[index];
      if (header?.dataset.tab === 'benchmark') void this.loadBenchmark();
    });
    watchTheme(() => {
      this.usage.rebuild();
      this.benchmark.rebuild();
    });
  }

  async start(): Promise<void> {
    this.transport.subscribe(
      (e) => this.onEvent(e),
      (s) => this.onConnection(s),
    );
    await Promise.all([this.loadAggregates(), this.decisions.load(undefined, []), this.loadBenchmark()]);
    document.body.dataset.loaded = 'true';
  }

  private onConnection(state: ConnectionState): void {
    const badge = byId('connection');
    badge.textContent = state === 'open' ? 'live' : state === 'connecting' ? 'connecting…' : 'offline';
    badge.dataset.state = state;
    // Back after a gap: events may have been missed, so reload what is shown.
    if (state === 'open' && document.body.dataset.loaded === 'true') {
      void this.loadAggregates();
      if (this.decisions.onNewestPage) void this.decisions.load(undefined, []);
    }
  }

  private onEvent(e: LiveEvent): void {
    switch (e.type) {
      case 'decision':
        // Requests are answered again: a page that could not load (store down) tries again.
        if (this.failures.has('decisions')) void this.decisions.reload();
        else this.decisions.add(e.row);
        this.refreshAggregates();
        break;
      case 'feedback':
        this.decisions.setRating(e.request_id, e.rating);
        this.trace.refreshIf(e.request_id);
        this.refreshAggregates();
        break;
      case 'stats':
        this.stats = e.stats;
        this.renderStats();
        break;
      case 'benchmark-progress':
        this.benchmark.progress(e.progress);
        break;
      case 'benchmark-done':
        this.benchmark.done(e.report);
        break;
      default:
        break; // newer event kinds: nothing to show yet
    }
  }

  private async loadAggregates(): Promise<void> {
    try {
      const [stats, feedback, rankings] = await Promise.all([
        this.transport.call('stats', undefined),
        this.transport.call('feedbackStats', undefined).catch(() => null),
        this.transport.call('rankings', undefined).catch(() => []),
      ]);
      this.stats = stats;
      this.feedback = feedback;
      this.renderStats();
      renderRankings(rankings, stats);
      this.loadResult('stats', null);
      await this.loadUsage();
    } catch (err) {
      this.loadResult('stats', `Could not load statistics: ${(err as Error).message}`);
    }
  }

  private async loadUsage(): Promise<void> {
    const bucketMs =
      this.bucketChoice === 'auto' ? autoBucketMs(this.stats?.since ?? null) : BUCKETS[this.bucketChoice];
    const since = Date.now() - bucketMs * MAX_BUCKETS;
    try {
      const buckets = await this.transport.call('usageOverTime', { bucket_ms: bucketMs, since });
      this.usage.render(buckets, bucketMs, (this.stats?.models ?? []).map((m) => m.model).sort());
      this.loadResult('usage', null);
    } catch (err) {
      this.loadResult('usage', `Could not load usage over time: ${(err as Error).message}`);
    }
  }

  private async loadBenchmark(): Promise<void> {
    try {
      this.benchmark.render(await this.transport.call('lastBenchmark', undefined));
    } catch {
      this.benchmark.render(null);
    }
  }

  private renderStats(): void {
    if (!this.stats) return;
    renderCards(this.stats, this.feedback);
    renderStrategies(this.stats);
  }

  /** Keeps what could not be loaded on the page (with Retry) until it loads. */
  private loadResult(what: string, error: string | null): void {
    if (error === null) this.failures.delete(what);
    else this.failures.set(what, error);
    byId('load-error-text').textContent = [...this.failures.values()].join(' ');
    byId('load-error').hidden = this.failures.size === 0;
  }

  private toast(message: string): void {
    const box = byId('toast');
    box.textContent = message;
    box.hidden = false;
    setTimeout(() => {
      if (box.textContent === message) box.hidden = true;
    }, 6000);
  }
}

function setupThemeToggle(): void {
  const toggle = byId('theme-toggle');
  if (currentHost() === 'vscode') {
    toggle.remove(); // VS Code's own theme decides
    return;
  }
  initBrowserTheme();
  const label = () => {
    toggle.textContent = browserTheme() === 'dark' ? 'Light theme' : 'Dark theme';
  };
  label();
  toggle.addEventListener('click', () => {
    setBrowserTheme(browserTheme() === 'dark' ? 'light' : 'dark');
    label();
  });
  new MutationObserver(label).observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
}

setupThemeToggle();
void new Dashboard(createTransport()).start();
