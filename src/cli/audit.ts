import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditFilter, StoredAuditEvent } from '../audit/audit-log.js';
import { TollgateError } from '../errors.js';
import { integer } from './args.js';
import { defineCommand, type CommandContext } from './command.js';
import { writeLine, type CliIo } from './io.js';
import { snakeCaseKeys } from './snake-case.js';

/** How often `audit tail --follow` asks for new events. */
const FOLLOW_POLL_MS = 1_000;

const FILTER_OPTIONS = {
  type: { type: 'string', value: 'key.|client.|api_key.|token.|<type>', description: 'one event type, or every type that begins with a prefix ending in .' },
  tenant: { type: 'string', value: '<slug>', description: 'only this tenant\'s events' },
  client: { type: 'string', value: '<id>', description: 'only events about this client (or other subject)' },
  limit: { type: 'string', value: '<n>', description: 'at most this many, newest first' },
} as const;

async function filterFrom({ values, registry }: CommandContext<typeof FILTER_OPTIONS>): Promise<AuditFilter> {
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
function printLines(events: readonly StoredAuditEvent[], json: boolean, stdout: CliIo['stdout']): void {
  for (const event of events) {
    if (json) {
      writeLine(stdout, JSON.stringify(snakeCaseKeys(event)));
      continue;
    }
    const at = new Date(event.at).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const fields = [`actor=${event.actor}`, event.subject ? `subject=${event.subject}` : '', event.tenantId ? `tenant=${event.tenantId}` : '']
      .filter(Boolean)
      .join(' ');
    writeLine(stdout, `${at}  ${event.type}  ${fields}${event.detail ? `  ${JSON.stringify(snakeCaseKeys(event.detail))}` : ''}`);
  }
}

/** Aborted by `io.signal`, or (in a process that gave none) by Ctrl-C or SIGTERM; `release` removes the handlers. */
function interruption(io: CliIo): { signal: AbortSignal; release: () => void } {
  if (io.signal) return { signal: io.signal, release: () => undefined };
  const stop = new AbortController();
  const interrupt = () => stop.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  return {
    signal: stop.signal,
    release: () => {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    },
  };
}

export const auditCommands = [
  defineCommand({
    name: 'audit list',
    summary: 'list audit events, newest first',
    options: FILTER_OPTIONS,
    columns: ['at', 'type', 'actor', 'subject'],
    examples: ['tollgate audit list --type client. --tenant acme --limit 20'],
    run: async (context) => context.audit.list(await filterFrom(context)),
  }),
  defineCommand({
    name: 'audit tail',
    summary: 'the latest events, oldest first; with --follow, new ones as they happen, until Ctrl-C',
    options: {
      ...FILTER_OPTIONS,
      follow: { type: 'boolean', short: 'f', description: 'keep printing new events until interrupted' },
    },
    examples: ['tollgate audit tail --follow --type token.', 'tollgate audit tail -f --json | jq .subject'],
    run: async (context) => {
      const { io } = context;
      const filter = await filterFrom(context);
      const json = context.values.json ?? false;
      const latest = (await context.audit.list({ limit: 20, ...filter })).reverse();
      if (!json && latest.length === 0 && !context.values.follow) writeLine(io.stdout, '(no events yet)');
      printLines(latest, json, io.stdout);
      if (!context.values.follow) return undefined;
      let lastId = latest.at(-1)?.id ?? (await context.audit.list({ limit: 1 }))[0]?.id ?? 0;
      const { signal, release } = interruption(io);
      try {
        while (!signal.aborted) {
          const events = await context.audit.list({ ...filter, afterId: lastId, limit: 1000 });
          printLines(events, json, io.stdout);
          lastId = events.at(-1)?.id ?? lastId;
          await sleep(FOLLOW_POLL_MS, undefined, { signal }).catch(() => undefined);
        }
      } finally {
        release();
      }
      return undefined;
    },
  }),
];
