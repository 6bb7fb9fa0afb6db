/**
 * Summarises a V8 `.cpuprofile` (as BENCH_PROFILE_DIR writes them): self
 * time by package, then the functions with the most self and inclusive
 * time, in µs per request when the profile says how many requests it saw
 * (otherwise as a share of busy time), so two profiles compare in a terminal.
 * Inclusive time of async functions covers only their synchronous parts.
 *
 *   node dist/scripts/bench/profile-summary.js /tmp/prof/bench-123.cpuprofile [rows] [filter]
 *
 * `filter` keeps only functions whose url contains it (e.g. `src/` for
 * Tollgate's own code), still as a share of the whole profile.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** µs since the previous sample, one per sample. */
  timeDeltas: number[];
  /** Added by bench-server.ts: the scenario and how many requests the profiled window served. */
  bench?: { scenario: string; requests: number };
}

const [file, rowsArg = '25', filter = ''] = process.argv.slice(2);
if (!file) {
  console.error('usage: profile-summary <file.cpuprofile> [rows] [url filter]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

// Weighted by the time each sample stands for (the next delta), not by count.
const selfSamples = new Map<number, number>();
profile.samples.forEach((id, index) => {
  const micros = profile.timeDeltas[index + 1] ?? 0;
  selfSamples.set(id, (selfSamples.get(id) ?? 0) + micros);
});

/** One row per function (name + location), not per call-tree node. */
const label = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
};
/** Where a function lives: an npm package, a Tollgate directory, node's internals, or native code. */
const origin = (node: ProfileNode) => {
  const { url, functionName } = node.callFrame;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/dist\/((?:src|adapters|keys|scripts)(?:\/[^/]+(?=\/))?)/.exec(url);
  if (own) return own[1]!;
  if (url.startsWith('node:')) return 'node (js)';
  return url ? url : `(native) ${functionName.startsWith('(') ? functionName : ''}`.trim();
};
const byOrigin = new Map<string, number>();
/**
 * Self time charged to the nearest caller that is Tollgate's code or an npm
 * package, so node internals and native work (hashing, header writes,
 * promise hooks) count against whoever asked for them.
 */
const byCaller = new Map<string, number>();
const callerOf = (id: number): string => {
  for (let current: number | undefined = id; current !== undefined; current = parentOf.get(current)) {
    const name = origin(byId.get(current)!);
    if (!name.startsWith('node (js)') && !name.startsWith('(native)')) return name;
  }
  return origin(byId.get(id)!);
};
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, count] of selfSamples) {
  const node = byId.get(id)!;
  self.set(label(node), (self.get(label(node)) ?? 0) + count);
  if (!node.callFrame.functionName.startsWith('(idle)')) {
    byOrigin.set(origin(node), (byOrigin.get(origin(node)) ?? 0) + count);
    byCaller.set(callerOf(id), (byCaller.get(callerOf(id)) ?? 0) + count);
  }
  // Each function counts once per sample however often it recurses.
  const seen = new Set<string>();
  for (let current: number | undefined = id; current !== undefined; current = parentOf.get(current)) {
    const name = label(byId.get(current)!);
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + count);
  }
}

const total = [...selfSamples.values()].reduce((sum, micros) => sum + micros, 0);
const idle = [...self].filter(([name]) => name.startsWith('(idle)')).reduce((sum, [, micros]) => sum + micros, 0);
const busy = total - idle;
const rows = Number(rowsArg);
const requests = profile.bench?.requests;
const unit = requests ? 'µs/req' : '%';
const amount = (micros: number) => (requests ? micros / requests : (100 * micros) / busy);
const show = (title: string, table: Map<string, number>) => {
  console.log(`\n${title} (${unit})`);
  const sorted = [...table].filter(([name]) => !name.startsWith('(idle)') && name.includes(filter)).sort((a, b) => b[1] - a[1]);
  for (const [name, micros] of sorted.slice(0, rows)) console.log(`${amount(micros).toFixed(1).padStart(7)} ${unit.padEnd(6)}  ${name}`);
};
console.log(
  `${basename(file)}${profile.bench ? ` (${profile.bench.scenario}, ${requests} requests)` : ''}: ` +
    `busy ${(busy / 1000).toFixed(0)} ms${requests ? `, ${(busy / requests).toFixed(0)} µs/req` : ''}`,
);
show('self time by origin', byOrigin);
show('self time by nearest package or Tollgate module on the stack', byCaller);
show('self time', self);
show('inclusive time', inclusive);
