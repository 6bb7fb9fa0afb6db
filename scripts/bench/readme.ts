/**
 * Rewrites the benchmark table in docs/benchmarks.md (between `<!-- bench:start -->` and
 * `<!-- bench:end -->`) from the newest `bench/results/*.json`:
 * `npm run bench -- --readme` after a run, or `npm run bench:readme`, which
 * also redraws `bench/results/latest.svg` from that file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart } from './chart.js';
import { readLatestRun, RESULTS_DIR, type BenchRun } from './results.js';

const README = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url.replace('/dist/', '/')));
const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

export function renderTable(run: BenchRun): string {
  const lines = [
    `Measured ${run.date} (node ${run.node}, ${run.cores} cores, ` +
      `${run.seconds} s × ${run.connections} connections per scenario, ${run.rounds} interleaved rounds where marked; ` +
      `whole run ${Math.round(run.wallSeconds)} s). Ratios compare req/s with the first row of each group, measured in the same run.`,
  ];
  for (const group of run.groups) {
    lines.push(
      '',
      `**${group.title}**`,
      '',
      '| scenario | req/s | p50 ms | p99 ms | errors | RSS MiB | CPU µs/req | ratio |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...group.scenarios.map(
        (s) => `| ${s.scenario.trim()} | ${s.requestsPerSecond} | ${s.p50} | ${s.p99} | ${s.errors} | ${s.rssMiB} | ${s.cpuMicrosPerRequest} | ${s.ratio.toFixed(2)} |`,
      ),
    );
  }
  lines.push('', `Cold start to first token (\`tollgate serve\`, fresh SQLite): median ${run.coldStartMs.median} ms of ${run.coldStartMs.runs.join(', ')} ms.`);
  const figures = Object.entries(run.figures).map(([name, value]) => `${name}: ${value}`);
  if (figures.length) lines.push('', ...figures.map((figure) => `- ${figure}`));
  return lines.join('\n');
}

/** README text with the table between the markers replaced. */
export function withTable(readme: string, table: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/benchmarks.md has no ${START} … ${END} markers`);
  return `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
}

export function updateReadme(run: BenchRun = readLatestRun()): void {
  writeFileSync(README, withTable(readFileSync(README, 'utf8'), renderTable(run)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const run = readLatestRun();
  updateReadme(run);
  writeFileSync(join(RESULTS_DIR, 'latest.svg'), renderChart(run));
  console.log(`docs/benchmarks.md table and bench/results/latest.svg updated from bench/results/${run.date}.json`);
}
