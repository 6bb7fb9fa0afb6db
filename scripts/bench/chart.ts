/**
 * `bench/results/latest.svg`: one horizontal bar per scenario, its req/s as a
 * share of the ceiling measured in the same run, grouped as the tables are.
 * Ratios rather than req/s so groups with very different rates share one
 * scale; each bar is labelled with its req/s and CPU µs per request.
 * Plain SVG text, no dependency.
 */
import type { BenchRun } from './results.js';

const WIDTH = 900;
const LABEL_WIDTH = 380;
const BAR_AREA = 360;
const ROW = 22;
const GROUP_GAP = 30;
/** The scale ends here; longer bars (a scenario faster than its ceiling) are clipped. */
const MAX_RATIO = 1.25;
/** The benchmarks issue's target for Tollgate against bare oidc-provider. */
const TARGET_RATIO = 0.9;

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const x = (ratio: number) => LABEL_WIDTH + (Math.min(ratio, MAX_RATIO) / MAX_RATIO) * BAR_AREA;

export function renderChart(run: BenchRun): string {
  const parts: string[] = [];
  let y = 70;
  for (const group of run.groups) {
    parts.push(`<text x="10" y="${y}" class="group">${escape(group.title)}</text>`);
    y += 10;
    for (const scenario of group.scenarios) {
      const ceiling = scenario.scenario === scenario.ceiling;
      parts.push(
        `<text x="${LABEL_WIDTH - 8}" y="${y + 14}" class="label">${escape(scenario.scenario.trim())}</text>`,
        `<rect x="${LABEL_WIDTH}" y="${y + 3}" width="${(x(scenario.ratio) - LABEL_WIDTH).toFixed(1)}" height="${ROW - 6}" class="${ceiling ? 'ceiling' : 'bar'}"/>`,
        `<text x="${(x(scenario.ratio) + 6).toFixed(1)}" y="${y + 14}" class="value">${scenario.ratio.toFixed(2)} · ${scenario.requestsPerSecond}/s · ${scenario.cpuMicrosPerRequest} µs</text>`,
      );
      y += ROW;
    }
    y += GROUP_GAP;
  }
  const height = y;
  const gridLines = [0.5, 1].map(
    (ratio) => `<line x1="${x(ratio)}" y1="50" x2="${x(ratio)}" y2="${height - 20}" class="grid"/><text x="${x(ratio)}" y="${height - 6}" class="axis">${ratio.toFixed(1)}×</text>`,
  );
  const target = `<line x1="${x(TARGET_RATIO)}" y1="50" x2="${x(TARGET_RATIO)}" y2="${height - 20}" class="target"/><text x="${x(TARGET_RATIO) - 4}" y="${height - 6}" class="axis target-label">target ${TARGET_RATIO}×</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="12">
<style>
  .title { font-size: 15px; font-weight: 600; }
  .group { font-weight: 600; }
  .label { text-anchor: end; }
  .value, .axis { fill: #555; }
  .axis { text-anchor: middle; font-size: 11px; }
  .bar { fill: #3b82f6; }
  .ceiling { fill: #9ca3af; }
  .grid { stroke: #ddd; }
  .target { stroke: #dc2626; stroke-dasharray: 4 3; }
  .target-label { text-anchor: end; fill: #dc2626; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="22" class="title">${escape(`Tollgate benchmarks, ${run.date}`)}</text>
<text x="10" y="40" class="value">${escape(`req/s as a share of the ceiling measured in the same run · node ${run.node} · ${run.cores} cores · ${run.seconds} s × ${run.connections} connections`)}</text>
${gridLines.join('\n')}
${target}
${parts.join('\n')}
</svg>
`;
}
