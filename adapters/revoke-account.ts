import type { Knex } from 'knex';
import { OIDC_MODELS_TABLE } from './oidc-models-table.js';

/**
 * Models that carry the signed-in user's `accountId` in their payload: the
 * sign-in session, the grant of consent, and every code and token issued
 * under it. An interaction in progress carries it too (`session.accountId`).
 */
const ACCOUNT_MODELS = ['Session', 'Grant', 'AuthorizationCode', 'RefreshToken', 'AccessToken', 'BackchannelAuthenticationRequest', 'Interaction'] as const;

/**
 * Deletes every stored session, grant, code and token of one account,
 * through `knex` (the caller's transaction), so the account must sign in
 * again and no refresh token issued before stays usable. Payloads are
 * stored as `JSON.stringify` writes them (stored-payload.ts), so the member
 * is matched as written; `accountId` must be an id with no LIKE wildcard in
 * it (`%`, `_`), as the users table's UUIDs are. A JWT access token is not
 * stored: it stays valid until it expires (minutes).
 *
 * A scan of the payloads, not an index look-up: this runs when an
 * operator resets a password, never on a request path.
 */
export async function revokeAccountModels(knex: Knex, accountId: string): Promise<number> {
  if (/[%_\\"]/.test(accountId)) throw new TypeError('accountId must not contain LIKE wildcards or quotes');
  return knex(OIDC_MODELS_TABLE)
    .whereIn('model', ACCOUNT_MODELS)
    .andWhere((where) => where.where('payload', 'like', `%"accountId":"${accountId}"%`))
    .delete();
}
