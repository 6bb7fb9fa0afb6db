/**
 * What a key change costs an instance: reading and opening the key set and
 * building a new oidc-provider (ProviderHost does exactly this on a swap).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openDatabase } from '../../adapters/database.js';
import { createKnexAdapter } from '../../adapters/knex-adapter.js';
import { createIdProtection } from '../../adapters/stored-ids.js';
import { KeyStore } from '../../keys/key-store.js';
import { createSealer } from '../../keys/seal.js';
import { loadConfig } from '../../src/config.js';
import { fileSecretSource } from '../../src/dev-secret.js';
import { keyStoreOptions } from '../../src/keys/policy.js';
import { ProviderHost } from '../../src/provider/provider-host.js';
import { VerifiedCredentialCache } from '../../src/registry/credential-cache.js';
import { createRegistry } from '../../src/registry/index.js';

export async function measureProviderSwap(rounds = 30): Promise<{ meanMs: number; p99Ms: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-swap-'));
  const config = loadConfig(
    { DATABASE_URL: `sqlite:${join(dataDir, 'swap.sqlite')}`, TOLLGATE_DATA_DIR: dataDir, TOLLGATE_SECRET: randomBytes(32).toString('base64url') },
    fileSecretSource,
  );
  const database = openDatabase(config.databaseUrl);
  try {
    await migrate(database);
    const keyStore = new KeyStore(database.knex, createSealer(config.secrets), keyStoreOptions(config));
    await keyStore.initialize();
    const deps = {
      config,
      registry: createRegistry(database.knex),
      credentials: new VerifiedCredentialCache(config.secrets[0]!, { ttlSeconds: 60 }),
      createModelAdapter: createKnexAdapter(database.knex, { ids: createIdProtection(config.secrets) }),
    };
    const timings: number[] = [];
    for (let i = 0; i < rounds; i += 1) {
      const started = performance.now();
      await ProviderHost.create(deps, keyStore);
      timings.push(performance.now() - started);
    }
    timings.sort((a, b) => a - b);
    const steady = timings.slice(1); // the first round includes module warm-up
    return {
      meanMs: Math.round((steady.reduce((sum, t) => sum + t, 0) / steady.length) * 100) / 100,
      p99Ms: Math.round(steady[Math.floor(steady.length * 0.99)]! * 100) / 100,
    };
  } finally {
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
