import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditFilter, StoredAuditEvent } from '../audit/audit-log.js';
import type { CommandContext } from '../cli.js';
import { TollgateError } from '../errors.js';
import { integer } from './args.js';
import type { Output } from './output.js';

/** How often `audit tail --follow` asks for new events. */
const FOLLOW_POLL_MS = 1_000;

async function filterFrom({ values, registry }: CommandContext): Promise<AuditFilter> {
  const tenant = values.tenant ? await registry.tenants.findBySlugOrId(values.tenant) : undefined;
  if (values.tenant && !tenant) throw new TollgateError(400, 'invalid_request', `tenant ${values.tenant} does not exist`);
  return {
    ...(values.type ? { type: values.type } : {}),
    ...(tenant ? { tenantId: tenant.id } : {}),
    ...(values.client ? { subject: values.client } : {}),
    ...(values.limit ? { limit: integer(values.limit, '--limit')! } : {}),
  };
}

/** One event per line: JSON lines with --json (for jq), else `time type actor=… subject=… detail`. */
function printLines(events: readonly StoredAuditEvent[], json: boolean): void {
  for (const event of events) {
    if (json) {
      console.log(JSON.stringify(event));
      continue;
    }
    const at = new Date(event.at).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const fields = [`actor=${event.actor}`, event.subject ? `subject=${event.subject}` : '', event.tenantId ? `tenant=${event.tenantId}` : '']
      .filter(Boolean)
      .join(' ');
    console.log(`${at}  ${event.type}  ${fields}${event.detail ? `  ${JSON.stringify(event.detail)}` : ''}`);
  }
}

export const auditCommands: Record<string, (context: CommandContext) => Promise<Output | undefined>> = {
  'audit list': async (context) => context.audit.list(await filterFrom(context)),

  /** The latest events oldest first, then (with --follow) new ones as they are written, until Ctrl-C. */
  'audit tail': async (context) => {
    const filter = await filterFrom(context);
    const json = context.values.json ?? false;
    const latest = (await context.audit.list({ limit: 20, ...filter })).reverse();
    if (!json && latest.length === 0 && !context.values.follow) console.log('(no events yet)');
    printLines(latest, json);
    if (!context.values.follow) return undefined;
    let lastId = latest.at(-1)?.id ?? (await context.audit.list({ limit: 1 }))[0]?.id ?? 0;
    const stop = new AbortController();
    const interrupt = () => stop.abort();
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    try {
      while (!stop.signal.aborted) {
        const events = await context.audit.list({ ...filter, afterId: lastId, limit: 1000 });
        printLines(events, json);
        lastId = events.at(-1)?.id ?? lastId;
        await sleep(FOLLOW_POLL_MS, undefined, { signal: stop.signal }).catch(() => undefined);
      }
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    }
    return undefined;
  },
};
