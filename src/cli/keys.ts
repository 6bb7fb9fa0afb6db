import { isSigningAlgorithm, KeyStore, SIGNING_ALGORITHMS, type KeyBackend } from '../../keys/key-store.js';
import { createSealer } from '../../keys/seal.js';
import type { AuditDetail, AuditEventType } from '../audit/audit-log.js';
import { invalidRequest } from '../errors.js';
import { announceKeyChange } from '../keys/change-channel.js';
import { openKeyBackend } from '../keys/backend.js';
import { keyStoreOptions } from '../keys/policy.js';
import { required } from './args.js';
import { defineCommand, type BaseContext } from './command.js';

/** Runs `command` with the configured key backend open (a PKCS#11 token logged in to), closing it after. */
async function withKeyStore<T>({ config, database }: Pick<BaseContext, 'config' | 'database'>, command: (keyStore: KeyStore) => Promise<T>): Promise<T> {
  const backend: KeyBackend = await openKeyBackend(config);
  try {
    return await command(new KeyStore(database.knex, createSealer(config.secrets), { ...keyStoreOptions(config), backend }));
  } finally {
    await backend.close();
  }
}

/**
 * Running servers poll the key table every 5 s; with REDIS_URL they are also
 * told at once. Either way the change is already committed.
 */
async function announced<T extends object>(
  { config, audit }: Pick<BaseContext, 'config' | 'audit'>,
  event: { type: AuditEventType; subject: string | null },
  result: T,
): Promise<T & { announced: boolean }> {
  await audit.record({ ...event, actor: 'cli', detail: summary(result) });
  return { ...result, announced: config.redisUrl ? await announceKeyChange(config.redisUrl) : false };
}

/** The result's scalar fields (kids, states), as the audit detail. */
function summary(result: object): AuditDetail {
  return Object.fromEntries(
    Object.entries(result).map(([key, value]) => [key, Array.isArray(value) ? value.join(' ') : typeof value === 'object' ? null : (value as string | number | boolean)]),
  );
}

const KID = { name: 'kid', description: 'the key id (it may begin with -)', required: true } as const;
const COLUMNS = ['kid', 'alg', 'state', 'created_at', 'activated_at', 'retire_after'];

export const keyCommands = [
  defineCommand({
    name: 'keys list',
    summary: 'list signing keys, with their states (next, active, retiring, retired, revoked)',
    options: {},
    columns: COLUMNS,
    run: async (context) => withKeyStore(context, (keyStore) => keyStore.list()),
  }),
  defineCommand({
    name: 'keys rotate',
    summary: 'next → active, active → retiring, and a new next key',
    options: { alg: { type: 'string', value: 'ES256|EdDSA|RS256|PS256', description: 'the new next key\'s algorithm (default: the active one\'s)' } },
    examples: ['tollgate keys rotate', 'tollgate keys rotate --alg EdDSA'],
    run: async (context) => {
      const { alg } = context.values;
      if (alg !== undefined && !isSigningAlgorithm(alg)) throw invalidRequest(`--alg must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
      const result = await withKeyStore(context, async (keyStore) => {
        await keyStore.initialize();
        return keyStore.rotate(alg ? { alg } : {});
      });
      return announced(context, { type: 'key.rotated', subject: result.activated }, result);
    },
  }),
  defineCommand({
    name: 'keys revoke',
    summary: 'emergency: the key leaves /jwks and signing at once',
    positionals: [KID],
    options: {},
    run: async (context) => {
      const kid = required(context.args[0], 'kid');
      return announced(context, { type: 'key.revoked', subject: kid }, await withKeyStore(context, (keyStore) => keyStore.revoke(kid)));
    },
  }),
  defineCommand({
    name: 'keys retire',
    summary: 'retire keys past their retiring window (the server also does this)',
    options: {},
    run: async (context) =>
      announced(context, { type: 'key.retired', subject: null }, { retired: await withKeyStore(context, (keyStore) => keyStore.retireExpired()) }),
  }),
  defineCommand({
    name: 'keys reseal',
    summary: 're-seal private keys under the newest TOLLGATE_SECRET',
    options: {},
    run: async (context) => {
      const resealed = await withKeyStore(context, (keyStore) => keyStore.reseal());
      await context.audit.record({ type: 'key.resealed', actor: 'cli', detail: { resealed } });
      return { resealed };
    },
  }),
];
