#!/usr/bin/env node
// The `tollgate` command. It lives outside dist/ so that it keeps its execute
// bit in git: a rebuild recreates dist/ and would otherwise leave `npx
// tollgate` pointing at a file that is not executable, or not there yet.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/src/cli/entry.js', import.meta.url);
if (!existsSync(cli)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  console.error(`tollgate: the CLI is not built yet in ${root}: run \`npm run build\` there (npm ci does it too)`);
  process.exit(1);
}
// Settings from the project's .env (git-ignored), under what the environment
// already sets: `cp .env.example .env` is all a local setup needs.
const dotenv = new URL('../.env', import.meta.url);
if (existsSync(dotenv)) process.loadEnvFile(fileURLToPath(dotenv));
await import(cli.href);
