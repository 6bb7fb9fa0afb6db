#!/usr/bin/env node
// Removes compiled output before a build, so a renamed or deleted test or
// module never lingers in dist/ and runs (or is imported) from a stale copy.
import { rmSync } from 'node:fs';

for (const dir of ['dist', 'packages/resource-server/dist']) rmSync(dir, { recursive: true, force: true });
