import { invalidRequest } from '../errors.js';
import { page, TENANT_QUERY, visibleTenant, type AdminServices } from './context.js';
import { snakeCased } from './presenters.js';
import { route, type CompiledRoute } from './route.js';

/** The most events one page holds, whatever `limit` asks for. */
const AUDIT_PAGE_MAX = 100;
const AUDIT_PAGE_DEFAULT = 50;

/** A cursor is the id of the last event of the previous page; opaque to callers. */
const encodeCursor = (id: number) => Buffer.from(`a${id}`).toString('base64url');
function decodeCursor(cursor: string): number {
  const match = /^a(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw invalidRequest('cursor is not a cursor this API returned');
  return Number(match[1]);
}

/**
 * The audit log, newest first, one capped page at a time. A tenant admin
 * reads only events of their own tenant (the filter is part of the query).
 */
export function auditEventRoutes(services: AdminServices): CompiledRoute[] {
  const { audit } = services;
  return [
    route({
      method: 'GET', path: '/audit-events', operationId: 'listAuditEvents', summary: `Audit events, newest first (at most ${AUDIT_PAGE_MAX} a page; follow next_cursor)`, tag: 'Audit',
      access: 'tenant', status: 200, response: { ref: 'AuditEvent', list: 'page' },
      query: {
        type: { description: 'An event type, or a family ending in a dot (`client.`, `key.`)', pattern: '^[a-z_.]{1,64}$', maxLength: 64 },
        ...TENANT_QUERY,
        subject: { description: 'The object acted on: a client id, API key id or kid', pattern: '^[\\x21-\\x7e]{1,200}$', maxLength: 200 },
        limit: { description: `Page size, 1 to ${AUDIT_PAGE_MAX} (larger values are capped); default ${AUDIT_PAGE_DEFAULT}`, pattern: '^[0-9]{1,6}$', maxLength: 6 },
        cursor: { description: 'next_cursor of the previous page', pattern: '^[A-Za-z0-9_-]{1,40}$', maxLength: 40 },
      },
      handle: async ({ caller, query }) => {
        let tenantId = caller.global ? undefined : caller.tenantId;
        if (query['tenant']) tenantId = (await visibleTenant(services, caller, query['tenant'], invalidRequest)).id;
        const limit = Math.min(Math.max(Number(query['limit'] ?? AUDIT_PAGE_DEFAULT), 1), AUDIT_PAGE_MAX);
        const events = await audit.list({
          limit,
          ...(tenantId ? { tenantId } : {}),
          ...(query['type'] ? { type: query['type'] } : {}),
          ...(query['subject'] ? { subject: query['subject'] } : {}),
          ...(query['cursor'] ? { beforeId: decodeCursor(query['cursor']) } : {}),
        });
        return page(events.map(snakeCased), events.length === limit ? encodeCursor(events.at(-1)!.id) : null);
      },
    }),
  ];
}
