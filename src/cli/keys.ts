import { isSigningAlgorithm, KeyStore } from '../../keys/key-store.js';
import { createSealer } from '../../keys/seal.js';
import type { CommandContext } from '../cli.js';
import { invalidRequest } from '../errors.js';
import { announceKeyChange } from '../key-change-channel.js';
import { keyStoreOptions } from '../key-policy.js';
import type { Output } from './output.js';

function keyStoreFor({ config, database }: CommandContext): KeyStore {
  return new KeyStore(database.knex, createSealer(config.secrets), keyStoreOptions(config));
}

function required(value: string | undefined, what: string): string {
  if (!value) throw invalidRequest(`${what} is required`);
  return value;
}

/**
 * Running servers poll the key table every 5 s; with REDIS_URL they are also
 * told at once. Either way the change is already committed.
 */
async function announced<T extends object>({ config }: CommandContext, result: T): Promise<T & { announced: boolean }> {
  return { ...result, announced: config.redisUrl ? await announceKeyChange(config.redisUrl) : false };
}

export const keyCommands: Record<string, (context: CommandContext) => Promise<Output>> = {
  'keys list': async (context) => keyStoreFor(context).list(),
  'keys rotate': async (context) => {
    const { alg } = context.values;
    if (alg !== undefined && !isSigningAlgorithm(alg)) throw invalidRequest('--alg must be one of ES256, EdDSA, RS256, PS256');
    const keyStore = keyStoreFor(context);
    await keyStore.initialize();
    return announced(context, await keyStore.rotate(alg ? { alg } : {}));
  },
  'keys revoke': async (context) => announced(context, await keyStoreFor(context).revoke(required(context.args[0], 'kid'))),
  'keys retire': async (context) => announced(context, { retired: await keyStoreFor(context).retireExpired() }),
  'keys reseal': async (context) => ({ resealed: await keyStoreFor(context).reseal() }),
};
