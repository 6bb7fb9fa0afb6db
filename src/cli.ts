#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openDatabase, migrate, type Database } from '../adapters/database.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { fileSecretSource } from './dev-secret.js';
import { invalidRequest, TollgateError } from './errors.js';
import { createRegistry, type Registry } from './registry/index.js';
import { splitList } from './registry/input.js';
import { KeyStoreError } from '../keys/key-store.js';
import { StartupError } from './lifecycle/start-up-errors.js';
import { DatabaseInUseError } from '../adapters/sqlite-process-lock.js';
import { AuditLog } from './audit/audit-log.js';
import { dashPositionalsLast, integer, required } from './cli/args.js';
import { apiKeyCommands } from './cli/api-keys.js';
import { auditCommands } from './cli/audit.js';
import { clientCommands } from './cli/clients.js';
import { keyCommands } from './cli/keys.js';
import { tenantCommands } from './cli/tenants.js';
import { userCommands } from './cli/users.js';
import { print, type Output } from './cli/output.js';
import { servicesFor } from './cli/services.js';
import { CLI_ACTOR } from './services/index.js';

const USAGE = `usage: tollgate <command> [options]   (every command accepts --json, and --fields a,b for those values only)

  serve [--workers N]                     run the server (PORT, DATABASE_URL, ISSUER, TOLLGATE_SECRET); N > 1 needs PostgreSQL
  migrate                                 apply database migrations
  tenants create <slug> --name <name> [--token-quota 10000/h]
  tenants list
  tenants update <slug> --token-quota <count>/<unit>|none
  resources create <audience> --scopes "<s1> <s2>" [--name <n>] [--ttl <seconds>] [--format jwt|opaque]
                 [--tenant <slug>] [--share-with "<slug> <slug>"|'*']   owned by that tenant; shared with others by name
  resources share <audience> --share-with "<slug> <slug>"|none   replaces the tenants it is shared with
  resources list [--tenant <slug>]         with --tenant: those that tenant may use
  clients create --name <n> --tenant <slug> --resource <uri> [--resource <uri>…] --scopes "<s1> <s2>"
                 [--roles "<r1> <r2>"] [--ip-allowlist "<cidr> …"] [--cors-origins "<origin> …"] [--secret-expires-in <seconds>]
                 [--token-quota 1000/h] [--introspect "<uri> …"]   --introspect: audiences whose tokens it may introspect
  clients create --admin [--tenant <slug>] [--name <n>]   an admin API client: global (tollgate:admin), or that tenant's admin
  clients create --grant authorization_code --name <n> --tenant <slug> --resource <uri> --scopes "<s1>"
                 --redirect-uri <uri> [--redirect-uri <uri>…] [--post-logout-redirect-uri <uri>…] [--public]
                                          a web app (secret), or with --public a native app/SPA (PKCE, no secret)
                 [--auth client_secret_basic|private_key_jwt --jwks-uri <https url> | --jwks-file <path>]
                 [--dpop-bound] [--exchange-audience <uri>… --exchange-scope "<s1> <s2>"]
  clients list [--tenant <slug>]
  clients update <client_id> [--token-quota <count>/<unit>|none] [--introspect "<uri> …"|none]   tokens per window (s, min, h, day)
  clients show|disable|enable|rotate-secret|revoke-tokens <client_id>
  users create --tenant <slug> --email <e> [--roles "<r1> <r2>"] [--password-stdin]   without --password-stdin a password is generated and shown once
  users list [--tenant <slug>]
  users disable|enable <id|email> [--tenant <slug>]
  keys list
  keys rotate [--alg ES256|EdDSA|RS256|PS256]   next → active, active → retiring, new next
  keys revoke <kid>                       emergency: the key leaves /jwks and signing at once
  keys retire                             retire keys past their retiring window (the server also does this)
  keys reseal                             re-seal private keys under the newest TOLLGATE_SECRET
  api-keys create --tenant <slug> --name <n> --resource <uri> [--resource <uri>…] --scopes "<s1> <s2>" [--expires-in 90d|12h|never] [--env live|test]
  api-keys list [--tenant <slug>]
  api-keys revoke <id>
  api-keys rotate <id> --overlap 7d            new key; the old one keeps working for the overlap
  audit list [--type key.|client.|api_key.|token.|<type>] [--tenant <slug>] [--client <id>] [--limit N]
  audit tail [--follow] [--client <id>] [--type …] [--tenant <slug>]   latest events, then new ones as they happen`;

const OPTIONS = {
  json: { type: 'boolean' },
  fields: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  name: { type: 'string' },
  tenant: { type: 'string' },
  resource: { type: 'string', multiple: true },
  scopes: { type: 'string' },
  roles: { type: 'string' },
  'ip-allowlist': { type: 'string' },
  'cors-origins': { type: 'string' },
  'secret-expires-in': { type: 'string' },
  'token-quota': { type: 'string' },
  ttl: { type: 'string' },
  format: { type: 'string' },
  alg: { type: 'string' },
  type: { type: 'string' },
  'expires-in': { type: 'string' },
  env: { type: 'string' },
  overlap: { type: 'string' },
  limit: { type: 'string' },
  client: { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  workers: { type: 'string' },
  admin: { type: 'boolean' },
  grant: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  public: { type: 'boolean' },
  email: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  auth: { type: 'string' },
  'jwks-uri': { type: 'string' },
  'jwks-file': { type: 'string' },
  'dpop-bound': { type: 'boolean' },
  'exchange-audience': { type: 'string', multiple: true },
  'exchange-scope': { type: 'string' },
  'share-with': { type: 'string' },
  introspect: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export interface CommandContext {
  readonly config: Config;
  readonly database: Database;
  readonly registry: Registry;
  readonly audit: AuditLog;
  readonly values: Values;
  readonly args: readonly string[];
}

/** Returns what to print, or undefined when the command printed as it went (`audit tail`). */
type Handler = (context: CommandContext) => Promise<Output | undefined>;


const commands: Record<string, Handler> = {
  ...tenantCommands,
  'resources create': async (context) => {
    const { args, values } = context;
    return servicesFor(context).resources.create(CLI_ACTOR, {
      audience: required(args[0], 'audience'),
      scopes: splitList(values.scopes),
      ...(values.name ? { name: values.name } : {}),
      ...(values.ttl ? { access_token_ttl: integer(values.ttl, '--ttl')! } : {}),
      ...(values.format ? { token_format: values.format as 'jwt' | 'opaque' } : {}),
      ...(values.tenant ? { tenant: values.tenant } : {}),
      ...(values['share-with'] ? { shared_with: splitList(values['share-with']) } : {}),
    });
  },
  'resources share': async (context) => {
    const { args, values } = context;
    const sharedWith = required(values['share-with'], '--share-with');
    return servicesFor(context).resources.share(CLI_ACTOR, required(args[0], 'audience'), { shared_with: sharedWith === 'none' ? [] : splitList(sharedWith) });
  },
  'resources list': async ({ registry, values }) => {
    if (!values.tenant) return registry.resources.list();
    const tenant = await registry.tenants.findBySlugOrId(values.tenant);
    if (!tenant) throw invalidRequest(`tenant ${values.tenant} does not exist`);
    return registry.resources.list({ usableBy: tenant.id });
  },
  ...clientCommands,
  ...auditCommands,
  ...keyCommands,
  ...apiKeyCommands,
  ...userCommands,
};

/**
 * Names the database a command uses when the user did not (DATABASE_URL
 * unset), and says so when that means creating a new, empty one: on stderr,
 * so `--json` output stays clean.
 */
function announceDefaultDatabase(config: Config): void {
  if (!config.databaseUrlDefaulted) return;
  const file = config.databaseUrl.slice('sqlite:'.length);
  console.error(existsSync(file)
    ? `tollgate: using ${file} (DATABASE_URL is not set)`
    : `tollgate: no database at ${file} yet: creating a new, empty one (DATABASE_URL is not set)`);
}

async function serve(config: Config): Promise<void> {
  // Loaded only here: oidc-provider is not needed (nor its Node-version
  // warning wanted) for registry commands.
  const { closeOnSignals, serveCluster } = await import('./cluster.js');
  if (config.workers > 1) return serveCluster(config);
  const { startTollgate } = await import('./main.js');
  const { createLogger } = await import('./logger.js');
  const logger = createLogger(config.logLevel);
  const running = await startTollgate(config, { logger });
  closeOnSignals(() => running.shutdown(), logger);
}

export async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: dashPositionalsLast(argv, OPTIONS), options: OPTIONS, allowPositionals: true, strict: true });
  const [group, action, ...args] = positionals;
  if (values.help || !group) {
    console.log(USAGE);
    return group || values.help ? 0 : 2;
  }
  // --workers is TOLLGATE_WORKERS given on the command line: validated by the same schema.
  const config = loadConfig(values.workers === undefined ? process.env : { ...process.env, TOLLGATE_WORKERS: values.workers }, fileSecretSource);
  if (group === 'serve') {
    await serve(config);
    return -1;
  }
  announceDefaultDatabase(config);
  const database = openDatabase(config.databaseUrl, { timeoutMs: config.databaseTimeoutMs });
  try {
    if (group === 'migrate') {
      const applied = await migrate(database);
      print({ applied }, values.json ?? false, values.fields);
      return 0;
    }
    const handler = commands[`${group} ${action ?? ''}`];
    if (!handler) {
      console.error(`tollgate: unknown command "${[group, action].filter(Boolean).join(' ')}"\n\n${USAGE}`);
      return 2;
    }
    await migrate(database);
    const audit = new AuditLog(database.knex, { onError: (error) => console.error(`tollgate: audit event not recorded: ${(error as Error).message}`) });
    try {
      const result = await handler({ config, database, registry: createRegistry(database.knex), audit, values, args });
      if (result !== undefined) print(result, values.json ?? false, values.fields);
      return 0;
    } finally {
      await audit.settled();
    }
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    // One clear line, no stack: operators read this, scripts check the exit code.
    const message =
      error instanceof TollgateError ||
      error instanceof ConfigError ||
      error instanceof KeyStoreError ||
      error instanceof StartupError ||
      error instanceof DatabaseInUseError ||
      (error as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')
        ? (error as Error).message
        : `unexpected error: ${(error as Error)?.message ?? String(error)}`;
    console.error(`tollgate: ${message}`);
    // The stack (and the cause's) only when asked for: LOG_LEVEL=debug.
    if (process.env['LOG_LEVEL'] === 'debug') console.error(error instanceof StartupError ? error.cause : error);
    process.exitCode = 1;
  },
);
