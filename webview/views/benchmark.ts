// Benchmark results: RouteLLM's quality-vs-%-strong-calls curve with APGR and CPT for two-model
// runs, quality vs cost across λ for multi-model runs, and the online learning curve.
import type { BenchmarkProgress, BenchmarkReport } from '../../shared/api';
import { Chart } from '../charts';
import { byId, fill, h } from '../dom';
import { formatInt, formatMs, formatPct, formatUsd } from '../format';
import { palette } from '../theme';

function figure(label: string, value: string): HTMLElement {
  return h(
    'div',
    { class: 'card small' },
    h('div', { class: 'card-label' }, label),
    h('div', { class: 'card-value' }, value),
  );
}

export class BenchmarkView {
  private readonly curve = new Chart(byId('bench-curve'));
  private readonly learning = new Chart(byId('bench-learning'));
  private report: BenchmarkReport | null = null;

  render(report: BenchmarkReport | null): void {
    this.report = report;
    byId('bench-empty').hidden = report !== null;
    byId('bench-body').hidden = report === null;
    if (!report) return;
    const c = palette();
    fill(
      byId('bench-figures'),
      figure('dataset', `${report.dataset} (${report.mode})`),
      figure('rows', formatInt(report.rows)),
      report.apgr !== undefined ? figure('APGR', report.apgr.toFixed(3)) : null,
      report.cpt50 !== undefined
        ? figure('CPT(50%)', report.cpt50 === null ? '–' : formatPct(report.cpt50 / 100, 1))
        : null,
      report.cpt80 !== undefined
        ? figure('CPT(80%)', report.cpt80 === null ? '–' : formatPct(report.cpt80 / 100, 1))
        : null,
      report.best_single
        ? figure('best single', `${report.best_single.model}: ${report.best_single.quality.toFixed(3)}`)
        : null,
      report.oracle_quality !== undefined ? figure('oracle', report.oracle_quality.toFixed(3)) : null,
      figure('took', formatMs(report.duration_ms)),
    );

    if (report.curve && report.curve.length) {
      const pts = [...report.curve].sort((a, b) => a.strong_pct - b.strong_pct);
      const first = pts[0];
      const last = pts[pts.length - 1];
      // Random routing interpolates linearly between all-weak and all-strong.
      const random = pts.map((p) =>
        first && last && last.strong_pct !== first.strong_pct
          ? first.quality +
            ((p.strong_pct - first.strong_pct) / (last.strong_pct - first.strong_pct)) * (last.quality - first.quality)
          : null,
      );
      byId('bench-curve-title').textContent = `Quality vs % calls to ${report.strong ?? 'the strong model'}`;
      this.curve.render({
        x: pts.map((p) => p.strong_pct),
        xLabel: '% strong calls',
        yLabel: 'quality',
        series: [
          { label: 'router', colour: c[0] ?? '#3794ff', values: pts.map((p) => p.quality) },
          { label: 'random', colour: c[4] ?? '#888', values: random, dash: [6, 4] },
        ],
      });
    } else if (report.lambda_sweep && report.lambda_sweep.length) {
      const pts = [...report.lambda_sweep].sort((a, b) => a.cost - b.cost);
      byId('bench-curve-title').textContent = 'Quality vs cost across λ';
      const best = report.best_single;
      this.curve.render({
        x: pts.map((p) => p.cost),
        xLabel: 'cost',
        yLabel: 'quality',
        formatX: (v) => formatUsd(v),
        series: [
          { label: 'router', colour: c[0] ?? '#3794ff', values: pts.map((p) => p.quality) },
          ...(best
            ? [
                {
                  label: `best single (${best.model})`,
                  colour: c[1] ?? '#d18616',
                  values: pts.map(() => best.quality),
                  dash: [6, 4],
                },
              ]
            : []),
          ...(report.oracle_quality !== undefined
            ? [
                {
                  label: 'oracle',
                  colour: c[2] ?? '#89d185',
                  values: pts.map(() => report.oracle_quality ?? null),
                  dash: [2, 4],
                },
              ]
            : []),
        ],
      });
    }
    byId('bench-curve-section').hidden = !(report.curve?.length || report.lambda_sweep?.length);

    const lc = report.learning_curve ?? [];
    byId('bench-learning-section').hidden = lc.length === 0;
    if (lc.length) {
      this.learning.render({
        x: lc.map((p) => p.n),
        xLabel: 'revealed outcomes',
        yLabel: report.apgr !== undefined ? 'APGR' : 'quality',
        series: [{ label: 'online router', colour: c[3] ?? '#b180d7', values: lc.map((p) => p.value) }],
      });
    }
  }

  progress(p: BenchmarkProgress): void {
    const bar = byId('bench-progress');
    bar.hidden = false;
    bar.textContent = `${p.run_id}: ${p.phase} ${formatInt(p.done)}/${formatInt(p.total)}`;
  }

  done(report: BenchmarkReport): void {
    byId('bench-progress').hidden = true;
    this.render(report);
  }

  rebuild(): void {
    if (this.report) this.render(this.report);
  }
}
