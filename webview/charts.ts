// Line charts on uPlot (small, canvas-based, fast with many points). Each chart fills its
// container's width, follows the theme's colours and is rebuilt when data or theme change.
import uPlot from 'uplot';
import { cssVar } from './theme';

export interface Series {
  label: string;
  colour: string;
  values: (number | null)[];
  /** Draw as bars instead of a line (counts per time bucket). */
  bars?: boolean;
  dash?: number[];
}

export interface ChartSpec {
  x: number[];
  series: Series[];
  /** x values are ms timestamps (shown as times) rather than plain numbers. */
  time?: boolean;
  xLabel?: string;
  yLabel?: string;
  height?: number;
  formatX?: (v: number) => string;
  formatY?: (v: number) => string;
  yRange?: [number, number];
  /** Extra room on both ends of the x axis (bars at the edges would be cut in half). */
  xPad?: number;
}

export class Chart {
  private plot: uPlot | null = null;
  private spec: ChartSpec | null = null;
  private readonly resize = new ResizeObserver(() => this.fit());

  constructor(private readonly container: HTMLElement) {
    this.resize.observe(container);
  }

  /** Replaces the chart's data (and series) and redraws. */
  render(spec: ChartSpec): void {
    this.spec = spec;
    this.rebuild();
  }

  /** Redraws with the current theme colours. */
  rebuild(): void {
    this.plot?.destroy();
    this.plot = null;
    const spec = this.spec;
    if (!spec) return;
    const axisColour = cssVar('--vscode-descriptionForeground', '#888');
    const gridColour = cssVar('--vscode-widget-border', cssVar('--vscode-panel-border', 'rgba(128,128,128,0.25)'));
    const font = `11px ${cssVar('--vscode-font-family', 'sans-serif')}`;
    const axis = (label: string | undefined, format?: (v: number) => string): uPlot.Axis => ({
      stroke: axisColour,
      grid: { stroke: gridColour, width: 1 },
      ticks: { stroke: gridColour, width: 1 },
      font,
      labelFont: font,
      label,
      ...(format ? { values: (_u: uPlot, splits: number[]) => splits.map(format) } : {}),
    });
    const bars = uPlot.paths.bars?.({ size: [0.8, 40] });
    const opts: uPlot.Options = {
      width: Math.max(200, this.container.clientWidth),
      height: spec.height ?? 220,
      scales: {
        x: {
          time: spec.time ?? false,
          ...(spec.xPad && spec.x.length
            ? { range: [Math.min(...spec.x) - spec.xPad, Math.max(...spec.x) + spec.xPad] }
            : {}),
        },
        ...(spec.yRange ? { y: { range: spec.yRange } } : {}),
      },
      axes: [axis(spec.xLabel, spec.formatX), axis(spec.yLabel, spec.formatY)],
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      series: [
        { label: spec.xLabel ?? 'x' },
        ...spec.series.map((s): uPlot.Series => ({
          label: s.label,
          stroke: s.colour,
          width: 2,
          fill: s.bars ? s.colour : undefined,
          ...(s.bars && bars ? { paths: bars, points: { show: false } } : {}),
          ...(s.dash ? { dash: s.dash } : {}),
          spanGaps: true,
        })),
      ],
    };
    const data: uPlot.AlignedData = [spec.x, ...spec.series.map((s) => s.values)];
    this.plot = new uPlot(opts, data, this.container);
  }

  private fit(): void {
    if (!this.plot) return;
    const width = Math.max(200, this.container.clientWidth);
    if (width !== this.plot.width) this.plot.setSize({ width, height: this.plot.height });
  }
}
