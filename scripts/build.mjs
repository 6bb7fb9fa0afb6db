#!/usr/bin/env node
// Builds dist/ in place: tsc incrementally (a build with nothing changed takes
// a second or two), then removes compiled files whose source is gone, so a
// renamed or deleted module or test never runs from a stale copy. dist/ is
// never emptied first: the CLI keeps working while a build runs.
//
// `--if-stale` skips the build when no source is newer than the last one: the
// `prepare` step that `npm ci` and `npx` run.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const projects = [
  { config: 'packages/resource-server', root: 'packages/resource-server', sources: ['src', 'test'] },
  { config: '.', root: '.', sources: ['src', 'adapters', 'keys', 'errors', 'scripts', 'test'] },
];

function* files(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

const buildInfo = (project) => join(project.root, 'dist', '.tsbuildinfo');

function stale(project) {
  if (!existsSync(buildInfo(project))) return true;
  const built = statSync(buildInfo(project)).mtimeMs;
  const inputs = [join(project.root, 'tsconfig.json'), 'tsconfig.json'];
  for (const source of project.sources) inputs.push(...files(join(project.root, source)));
  return inputs.some((path) => statSync(path).mtimeMs > built);
}

/** `dist/x/y.js` (and `.js.map`, `.d.ts`, `.d.ts.map`) belongs to `x/y.ts`; anything else with no source goes. */
function pruneStale(project) {
  const dist = join(project.root, 'dist');
  for (const path of files(dist)) {
    const rel = relative(dist, path);
    if (rel === '.tsbuildinfo') continue;
    const source = rel.replace(/(\.d)?\.(js|ts)(\.map)?$/, '.ts').replace(/\.mjs(\.map)?$/, '.mts');
    if (!existsSync(join(project.root, source))) rmSync(path);
  }
}

const ifStale = process.argv.includes('--if-stale');
for (const project of projects) {
  if (ifStale && !stale(project)) continue;
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project.config], { stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  pruneStale(project);
}
