import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretSource } from './config.js';

/**
 * Development fallback for TOLLGATE_SECRET: a random secret kept in the data
 * directory so restarts can still open the sealed signing keys. `loadConfig`
 * refuses this path when NODE_ENV=production, and `main` warns loudly.
 */
export const fileSecretSource: SecretSource = {
  developmentSecret(dataDir: string): string {
    const path = join(dataDir, 'secret');
    try {
      return readFileSync(path, 'utf8').trim();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const secret = randomBytes(48).toString('base64url');
    // 'wx' so two processes starting at once cannot overwrite each other's secret.
    try {
      writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
      return secret;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return readFileSync(path, 'utf8').trim();
    }
  },
};
