import { changeDetail, snapshot } from '../audit/changes.js';
import type { Registry } from '../registry/index.js';
import type { CreateResourceInput, ResourceServer, ShareResourceInput } from '../registry/resources.js';
import { scopeOf, type Actor } from './actor.js';
import { audited } from './audit.js';

/** Resource-server fields an audit event records. */
export const RESOURCE_FIELDS = ['audience', 'name', 'scopes', 'accessTokenTtl', 'tokenFormat', 'tenantId', 'sharedWith'] as const;

export interface ResourceService {
  /** `resource.created`. A tenant admin's resource server always belongs to the admin's tenant. */
  create(actor: Actor, input: CreateResourceInput): Promise<ResourceServer>;
  /** `resource.shared`: replaces the tenants it is shared with (a global decision: the admin API allows it to global admins only). */
  share(actor: Actor, reference: string, input: ShareResourceInput): Promise<ResourceServer>;
}

export function resourceService({ registry, clock }: { registry: Pick<Registry, 'resources'>; clock: () => number }): ResourceService {
  const { resources } = registry;
  return {
    create(actor, input) {
      const scope = scopeOf(actor);
      return resources.create(
        scope ? { ...input, tenant: scope.tenantId } : input,
        audited(actor, clock, (resource) => ({ type: 'resource.created', tenantId: resource.tenantId, subject: resource.audience, detail: snapshot(resource, RESOURCE_FIELDS) })),
      );
    },
    async share(actor, reference, input) {
      const { after } = await resources.share(reference, input, audited(actor, clock, ({ before, after }) => ({
        type: 'resource.shared',
        tenantId: after.tenantId,
        subject: after.audience,
        detail: changeDetail<ResourceServer>(before, after, RESOURCE_FIELDS),
      })));
      return after;
    },
  };
}
