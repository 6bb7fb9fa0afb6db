import { refuseAdminAudience } from '../admin/audience.js';
import type { ApiKeyRepository, ApiKeyView, CreateApiKeyInput, IssuedApiKey } from '../api-keys/index.js';
import { apiKeyAuditEvent } from '../audit/api-key-events.js';
import type { WithinWrite } from '../registry/within-write.js';
import type { ApiKeyEvent } from '../api-keys/index.js';
import { actorName, scopeOf, type Actor } from './actor.js';
import { insertAuditEvent } from './audit.js';

/** An API key as `create` takes it; `createdBy` is the actor. */
export type CreateApiKeyRequest = Omit<CreateApiKeyInput, 'createdBy'>;

/**
 * API keys in the actor's reach. The audit rows are those the API-key
 * events have always made (api_key.created/rotated/revoked, the actor named,
 * no admin channel detail), now written in the change's transaction.
 */
export interface ApiKeyService {
  /** `api_key.created`. Never for the admin API's audience: it accepts access tokens only. */
  create(actor: Actor, input: CreateApiKeyRequest): Promise<IssuedApiKey>;
  /** `api_key.revoked` (only when it was not revoked already). */
  revoke(actor: Actor, apiKeyId: string): Promise<ApiKeyView>;
  /** `api_key.rotated`: a replacement, the old key working `overlapSeconds` more. */
  rotate(actor: Actor, apiKeyId: string, overlapSeconds: number): Promise<IssuedApiKey & { previous: ApiKeyView }>;
}

export function apiKeyService({ apiKeys, clock }: { apiKeys: ApiKeyRepository; clock: () => number }): ApiKeyService {
  const audited = (actor: Actor): WithinWrite<ApiKeyEvent> => async (db, event) => {
    const audit = apiKeyAuditEvent(event, actorName(actor));
    if (audit) await insertAuditEvent(db, audit, clock);
  };
  return {
    create(actor, input) {
      refuseAdminAudience(input.resources);
      return apiKeys.create({ ...input, createdBy: actorName(actor) }, audited(actor));
    },
    revoke: (actor, apiKeyId) => apiKeys.revoke(apiKeyId, { scope: scopeOf(actor), actor: actorName(actor), within: audited(actor) }),
    rotate: (actor, apiKeyId, overlapSeconds) =>
      apiKeys.rotate(apiKeyId, { overlap: overlapSeconds }, { scope: scopeOf(actor), actor: actorName(actor), within: audited(actor) }),
  };
}
