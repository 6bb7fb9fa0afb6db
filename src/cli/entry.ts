#!/usr/bin/env node
// The process around the CLI: bin/tollgate.js imports this file. `main`
// itself only returns an exit code, so tests call it in process.
import { main } from '../cli.js';
import { processIo } from './io.js';

const code = await main(process.argv.slice(2), processIo());
// `serve` returns null: the server keeps the process alive until a signal.
if (code !== null) process.exitCode = code;
