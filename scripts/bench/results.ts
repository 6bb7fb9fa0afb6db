/**
 * The record of one `npm run bench`: every scenario with the run's settings,
 * written to `bench/results/<YYYY-MM-DD>.json` (one file per day; a later run
 * that day replaces it), and read back for the chart and the README table.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Result } from './measure.js';

/** The repository's bench/results, from dist/scripts/bench or scripts/bench alike. */
export const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url.replace('/dist/', '/')));

export interface ScenarioRecord extends Result {
  /** req/s as a share of the group's ceiling (its first scenario). */
  ratio: number;
  ceiling: string;
  node: string;
  cores: number;
  seconds: number;
  connections: number;
}

export interface ResultGroup {
  title: string;
  scenarios: ScenarioRecord[];
}

export interface BenchRun {
  date: string;
  node: string;
  cores: number;
  seconds: number;
  connections: number;
  rounds: number;
  postgres: boolean;
  redis: boolean;
  groups: ResultGroup[];
  /** Spawn of `tollgate serve` to the first token, each run and the median. */
  coldStartMs: { runs: number[]; median: number };
  /** Other single figures (resource-server package, provider swap), by name. */
  figures: Record<string, number>;
  /** Wall time of the whole run. */
  wallSeconds: number;
}

export const machine = () => ({ node: process.version, cores: availableParallelism() });

/** A group's results as records, each compared with `ceiling` (by req/s). */
export function group(title: string, ceiling: Result, results: readonly Result[], settings: { seconds: number; connections: number }): ResultGroup {
  return {
    title,
    scenarios: results.map((result) => ({
      ...result,
      ratio: Math.round((100 * result.requestsPerSecond) / Math.max(1, ceiling.requestsPerSecond)) / 100,
      ceiling: ceiling.scenario,
      ...machine(),
      ...settings,
    })),
  };
}

export function writeRun(run: BenchRun): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${run.date}.json`);
  writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
  return file;
}

/** The newest results file (names are dates, so they sort). */
export function readLatestRun(): BenchRun {
  const files = readdirSync(RESULTS_DIR).filter((name) => /^\d{4}-\d{2}-\d{2}\.json$/.test(name)).sort();
  const latest = files.at(-1);
  if (!latest) throw new Error(`no results in ${RESULTS_DIR}: run npm run bench first`);
  return JSON.parse(readFileSync(join(RESULTS_DIR, latest), 'utf8')) as BenchRun;
}
