#!/usr/bin/env node
// Runs the Dockerfile's build without a Docker engine (none runs on CI's
// machine): each stage gets a directory standing in for its filesystem, COPY
// and RUN are carried out there, apt-get is skipped (the host has the
// toolchain), and the final stage's CMD is started with its ENV plus the
// settings production requires, until its HEALTHCHECK command passes.
// This catches a file missing from a COPY, a build step that fails, and a
// runtime that needs a dev dependency. Usage: node scripts/dockerfile-dry-run.mjs
import { execSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

const context = process.cwd();
const lines = readFileSync(join(context, 'Dockerfile'), 'utf8')
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));

const work = mkdtempSync(join(tmpdir(), 'tollgate-image-'));
const stages = new Map();
let stage;
const log = (message) => console.log(`[dockerfile] ${message}`);

function inStage(path) {
  return join(stage.root, path.startsWith('/') ? path : join(stage.workdir, path));
}

for (const line of lines) {
  const [instruction, ...rest] = line.split(/\s+/);
  const args = rest.join(' ');
  switch (instruction.toUpperCase()) {
    case 'FROM': {
      const name = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? `stage${stages.size}`;
      stage = { name, root: join(work, name), workdir: '/', env: {}, cmd: undefined, healthcheck: undefined };
      mkdirSync(stage.root, { recursive: true });
      stages.set(name, stage);
      log(`stage ${name} (${args.split(/\s+/)[0]})`);
      break;
    }
    case 'WORKDIR':
      stage.workdir = args;
      mkdirSync(inStage(args), { recursive: true });
      break;
    case 'ENV':
      for (const [, key, value] of args.matchAll(/(\w+)=(\S+)/g)) stage.env[key] = value;
      break;
    case 'COPY': {
      // Docker's rules: a directory source copies its contents into the
      // destination; a file goes to dest/<name> when dest ends with '/' (or
      // there are several sources), else to dest itself.
      const from = /--from=(\S+)/.exec(args)?.[1];
      const parts = args.replace(/--\S+/g, '').trim().split(/\s+/);
      const destination = parts.pop();
      const intoDirectory = destination.endsWith('/') || destination === '.' || parts.length > 1;
      for (const source of parts) {
        const origin = from ? stages.get(from) : undefined;
        const sourcePath = origin ? join(origin.root, source.startsWith('/') ? source : join(origin.workdir, source)) : join(context, source);
        const isDirectory = statSync(sourcePath).isDirectory();
        const target = isDirectory || !intoDirectory ? inStage(destination) : join(inStage(destination), basename(source));
        mkdirSync(isDirectory ? target : dirname(target), { recursive: true });
        // The build context excludes node_modules (.dockerignore); a stage copy keeps it.
        cpSync(sourcePath, target, { recursive: true, filter: (path) => Boolean(origin) || !/\/node_modules(\/|$)/.test(path) });
      }
      break;
    }
    case 'RUN': {
      if (/apt-get|mkdir -p \/data|chown/.test(args)) {
        log(`skip: ${args.slice(0, 60)}…`);
        break;
      }
      log(`run: ${args}`);
      // npm takes packages from this machine's cache when it holds them (CI's own
      // `npm ci` has just filled it), checked against the lockfile's integrity
      // hashes like downloaded ones: the same packages, without the downloads.
      execSync(args, { cwd: inStage('.'), stdio: 'inherit', env: { ...process.env, npm_config_prefer_offline: 'true', ...stage.env, NODE_ENV: stage.env.NODE_ENV ?? '' } });
      break;
    }
    case 'CMD':
      stage.cmd = JSON.parse(args);
      break;
    case 'HEALTHCHECK':
      stage.healthcheck = JSON.parse(args.slice(args.indexOf('CMD') + 3).trim());
      break;
    default:
      break;
  }
}

const dataDir = join(work, 'data');
mkdirSync(dataDir);
const port = String(20000 + Math.floor(Math.random() * 20000));
const env = {
  PATH: process.env.PATH,
  ...stage.env,
  PORT: port,
  TOLLGATE_DATA_DIR: dataDir,
  DATABASE_URL: `sqlite:${join(dataDir, 'tollgate.sqlite')}`,
  TOLLGATE_SECRET: randomBytes(32).toString('base64url'),
  TOLLGATE_METRICS_TOKEN: randomBytes(32).toString('base64url'),
  ISSUER: 'https://auth.example.com',
  LOG_LEVEL: 'warn',
};
log(`start: ${stage.cmd.join(' ')} (NODE_ENV=${env.NODE_ENV}, no dev dependencies)`);
const server = spawn(stage.cmd[0], stage.cmd.slice(1), { cwd: inStage('.'), env, stdio: 'inherit' });
let healthy = false;
for (let attempt = 0; attempt < 60 && server.exitCode === null; attempt += 1) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  try {
    execSync(stage.healthcheck.map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' '), { env, stdio: 'ignore' });
    healthy = true;
    break;
  } catch {
    // not ready yet
  }
}
server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
rmSync(work, { recursive: true, force: true });
if (!healthy) {
  console.error('[dockerfile] FAIL: the final stage never passed its HEALTHCHECK');
  process.exit(1);
}
log('OK: built, started without dev dependencies, and passed its HEALTHCHECK');
