import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type JSONSchemaType, type SchemaValidateFunction } from 'ajv';
import { BaseError } from '../errors/base-error.js';
import { clusterTarget } from './redis/client.js';
import { RATE_LIMIT_SCHEMA, rateLimitSettings, SETTING_PARSERS, type RateLimitSettings, type RateLimitVariables, type SettingParser } from './rate-limit/settings.js';
import { SECRET_HOWTO, secretWeakness } from './secret-strength.js';
import type { TokenLocation } from '../keys/pkcs11-backend.js';

/**
 * Tollgate's configuration: read once from the environment, validated by one
 * AJV schema with defaults, frozen. A bad setting fails start-up with a
 * message that names the environment variable, never later at request time.
 */
export interface Config {
  readonly port: number;
  /** TOLLGATE_ADMIN_PORT: serve the admin API on this port only (not on `port`); undefined: on `port`. */
  readonly adminPort: number | undefined;
  readonly host: string;
  readonly issuer: string;
  readonly databaseUrl: string;
  /** True when DATABASE_URL was not set and the default SQLite file in the data directory is used. */
  readonly databaseUrlDefaulted: boolean;
  readonly dataDir: string;
  /** Newest first: the first seals, every one may open (see keys/seal.ts). */
  readonly secrets: readonly string[];
  /** True when the secret was generated into the data directory (development only). */
  readonly secretGenerated: boolean;
  readonly accessTokenTtlSeconds: number;
  /** Refresh tokens of the authorization-code flow: absolute lifetime from sign-in, and idle timeout (seconds). */
  readonly refreshTokens: { readonly absoluteTtlSeconds: number; readonly idleTtlSeconds: number };
  /** Seconds a rotated refresh token is honoured once more by a retry whose answer was lost (adapters/refresh-rotation.ts); 0: never. */
  readonly refreshRetryGraceSeconds: number;
  readonly credentialCacheTtlSeconds: number;
  /** Cache-Control max-age of /jwks; also how long a next key is published before it may sign. */
  readonly jwksMaxAgeSeconds: number;
  /** Rotate the signing key once the active key is this old; undefined: only by hand. */
  readonly keyRotationDays: number | undefined;
  /**
   * Optional: cross-instance nudges (key changes) and shared rate limits.
   * REDIS_URL, or REDIS_CLUSTER_NODES as a `redis-cluster://h1:p1,h2:p2` target (see redis/client.ts).
   */
  readonly redisUrl: string | undefined;
  /** TOLLGATE_RATE_LIMITS, TOLLGATE_RATE_LIMIT_IP, TOLLGATE_RATE_LIMIT_AUTH_FAILURES(_IP), TOLLGATE_RATE_LIMIT_REDIS_DOWN, TOLLGATE_TRUST_PROXY. */
  readonly rateLimits: RateLimitSettings;
  /** Which token-endpoint outcomes become audit events: every one, refusals only, or none. */
  readonly auditTokenEvents: 'all' | 'refused' | 'off';
  /** Audit events older than this are deleted; undefined: kept forever (`TOLLGATE_AUDIT_RETENTION_DAYS=0`). */
  readonly auditRetentionDays: number | undefined;
  /** TOLLGATE_METRICS, TOLLGATE_METRICS_TOKEN: Prometheus metrics at GET /metrics. */
  readonly metrics: MetricsSettings;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  readonly production: boolean;
  /** `serve` processes sharing the port (TOLLGATE_WORKERS, `--workers`); 1: no cluster. */
  readonly workers: number;
  /**
   * TOLLGATE_JWKS_URI_PRIVATE_NETWORK=allow: a private_key_jwt client's
   * jwks_uri may point at a loopback or private address (development and
   * tests). Off by default and refused in production: the fetch is SSRF-guarded.
   */
  readonly jwksUriPrivateNetwork: boolean;
  /** TOLLGATE_SHUTDOWN_TIMEOUT: after SIGTERM, how long requests in flight may take before their connections are cut (seconds). */
  readonly shutdownTimeoutSeconds: number;
  /** TOLLGATE_DATABASE_START_TIMEOUT: how long start-up waits for an unreachable database, retrying, before it gives up (seconds). */
  readonly databaseStartTimeoutSeconds: number;
  /** TOLLGATE_DATABASE_TIMEOUT: the bound on every database call (connect, wait for a connection, query, SQLite lock wait). */
  readonly databaseTimeoutMs: number;
  /** TOLLGATE_KEY_BACKEND and TOLLGATE_PKCS11_*: where private signing keys are made and kept (docs/hsm.md). */
  readonly keyBackend: KeyBackendSettings;
}

/** Private signing keys sealed in the database, or generated in and never out of a PKCS#11 token. */
export type KeyBackendSettings = { readonly kind: 'database' } | { readonly kind: 'pkcs11'; readonly token: TokenLocation };

export interface MetricsSettings {
  /** False with `TOLLGATE_METRICS=off`: no /metrics and no collection. */
  readonly enabled: boolean;
  /** When set, scrapes must send `Authorization: Bearer <token>`. Never logged. */
  readonly token: string | undefined;
}

/** The raw settings as they appear in the environment, after coercion. */
interface EnvSettings extends RateLimitVariables {
  PORT: number;
  TOLLGATE_ADMIN_PORT?: number;
  HOST: string;
  ISSUER?: string;
  DATABASE_URL?: string;
  TOLLGATE_DATA_DIR: string;
  TOLLGATE_SECRET?: string;
  TOLLGATE_SECRET_PREVIOUS?: string;
  TOLLGATE_ACCESS_TOKEN_TTL: number;
  TOLLGATE_CREDENTIAL_CACHE_TTL: number;
  TOLLGATE_REFRESH_TOKEN_TTL: number;
  TOLLGATE_REFRESH_TOKEN_IDLE_TTL: number;
  TOLLGATE_REFRESH_RETRY_GRACE: number;
  TOLLGATE_JWKS_MAX_AGE: number;
  TOLLGATE_KEY_ROTATION_DAYS?: number;
  REDIS_URL?: string;
  REDIS_CLUSTER_NODES?: string;
  TOLLGATE_AUDIT_TOKEN_EVENTS: Config['auditTokenEvents'];
  TOLLGATE_AUDIT_RETENTION_DAYS: number;
  TOLLGATE_METRICS: 'on' | 'off' | 'true' | 'false';
  TOLLGATE_METRICS_TOKEN?: string;
  LOG_LEVEL: Config['logLevel'];
  NODE_ENV?: string;
  TOLLGATE_WORKERS: number;
  TOLLGATE_JWKS_URI_PRIVATE_NETWORK: 'allow' | 'deny';
  TOLLGATE_SHUTDOWN_TIMEOUT: number;
  TOLLGATE_DATABASE_START_TIMEOUT: number;
  TOLLGATE_DATABASE_TIMEOUT: number;
  TOLLGATE_KEY_BACKEND: KeyBackendSettings['kind'];
  TOLLGATE_PKCS11_MODULE?: string;
  TOLLGATE_PKCS11_TOKEN_LABEL?: string;
  TOLLGATE_PKCS11_SLOT?: number;
  TOLLGATE_PKCS11_PIN?: string;
  TOLLGATE_PKCS11_PIN_FILE?: string;
}

/**
 * The project's own data/ folder (this file is dist/src/config.js), so the
 * server and the CLI find the same database from any working directory.
 */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../data', import.meta.url));

const schema: JSONSchemaType<EnvSettings> = {
  type: 'object',
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 3000 },
    TOLLGATE_ADMIN_PORT: { type: 'integer', nullable: true, minimum: 0, maximum: 65535 },
    HOST: { type: 'string', minLength: 1, default: '0.0.0.0' },
    ISSUER: { type: 'string', nullable: true, pattern: '^https?://[^?#]+$' },
    DATABASE_URL: { type: 'string', nullable: true, pattern: '^(sqlite:|postgres://|postgresql://|cockroachdb://)' },
    TOLLGATE_DATA_DIR: { type: 'string', minLength: 1, default: DEFAULT_DATA_DIR },
    TOLLGATE_SECRET: { type: 'string', nullable: true, minLength: 32 },
    TOLLGATE_SECRET_PREVIOUS: { type: 'string', nullable: true },
    TOLLGATE_ACCESS_TOKEN_TTL: { type: 'integer', minimum: 30, maximum: 86400, default: 900 },
    TOLLGATE_CREDENTIAL_CACHE_TTL: { type: 'integer', minimum: 0, maximum: 3600, default: 300 },
    // 30 days from sign-in, 7 days unused (seconds); at most a year.
    TOLLGATE_REFRESH_TOKEN_TTL: { type: 'integer', minimum: 60, maximum: 31_557_600, default: 2_592_000 },
    TOLLGATE_REFRESH_TOKEN_IDLE_TTL: { type: 'integer', minimum: 60, maximum: 31_557_600, default: 604_800 },
    TOLLGATE_REFRESH_RETRY_GRACE: { type: 'integer', minimum: 0, maximum: 300, default: 60 },
    TOLLGATE_JWKS_MAX_AGE: { type: 'integer', minimum: 0, maximum: 86400, default: 300 },
    TOLLGATE_KEY_ROTATION_DAYS: { type: 'number', nullable: true, exclusiveMinimum: 0, maximum: 3650 },
    REDIS_URL: { type: 'string', nullable: true, pattern: '^rediss?://' },
    // host:port[,host:port…]: seed nodes of a Redis Cluster (used instead of REDIS_URL).
    REDIS_CLUSTER_NODES: { type: 'string', nullable: true, pattern: '^[^,:\\s]+:\\d+(,[^,:\\s]+:\\d+)*$' },
    TOLLGATE_AUDIT_TOKEN_EVENTS: { type: 'string', enum: ['all', 'refused', 'off'], default: 'all' },
    TOLLGATE_AUDIT_RETENTION_DAYS: { type: 'number', minimum: 0, maximum: 36500, default: 90 },
    TOLLGATE_METRICS: { type: 'string', enum: ['on', 'off', 'true', 'false'], default: 'on' },
    // Too short to guess by trying; no spaces or controls, so it fits an Authorization header as sent.
    TOLLGATE_METRICS_TOKEN: { type: 'string', nullable: true, minLength: 16, pattern: '^[\\x21-\\x7e]+$' },
    LOG_LEVEL: { type: 'string', enum: ['debug', 'info', 'warn', 'error', 'silent'], default: 'info' },
    NODE_ENV: { type: 'string', nullable: true },
    TOLLGATE_WORKERS: { type: 'integer', minimum: 1, maximum: 64, default: 1 },
    TOLLGATE_JWKS_URI_PRIVATE_NETWORK: { type: 'string', enum: ['allow', 'deny'], default: 'deny' },
    TOLLGATE_SHUTDOWN_TIMEOUT: { type: 'number', minimum: 0, maximum: 3600, default: 10 },
    TOLLGATE_DATABASE_START_TIMEOUT: { type: 'number', minimum: 0, maximum: 3600, default: 30 },
    // Seconds; a partition answers 503 within it, so it should stay below clients' own timeouts.
    TOLLGATE_DATABASE_TIMEOUT: { type: 'number', exclusiveMinimum: 0, maximum: 60, default: 2 },
    ...RATE_LIMIT_SCHEMA,
    TOLLGATE_KEY_BACKEND: { type: 'string', enum: ['database', 'pkcs11'], default: 'database' },
    // The PKCS#11 library (.so) path; the token by its label or by its slot id.
    TOLLGATE_PKCS11_MODULE: { type: 'string', nullable: true, pattern: '^/' },
    TOLLGATE_PKCS11_TOKEN_LABEL: { type: 'string', nullable: true, minLength: 1, maxLength: 32 },
    TOLLGATE_PKCS11_SLOT: { type: 'integer', nullable: true, minimum: 0 },
    TOLLGATE_PKCS11_PIN: { type: 'string', nullable: true, minLength: 1 },
    TOLLGATE_PKCS11_PIN_FILE: { type: 'string', nullable: true, minLength: 1 },
  },
  required: [],
  additionalProperties: true,
};

/**
 * `parsedBy: <parser>`: the value must be one the named parser of
 * rate-limit/settings.ts reads; its message, which names the variable, is the error.
 */
const checkParsedBy: SchemaValidateFunction = (parser: SettingParser, value: string, _schema, context) => {
  try {
    SETTING_PARSERS[parser](value, String(context?.parentDataProperty));
    return true;
  } catch (error) {
    checkParsedBy.errors = [{ keyword: 'parsedBy', message: (error as Error).message, params: {} }];
    return false;
  }
};

const ajv = new Ajv({ useDefaults: true, coerceTypes: true, allErrors: true });
ajv.addKeyword({ keyword: 'parsedBy', type: 'string', schemaType: 'string', errors: true, validate: checkParsedBy });
const validate = ajv.compile(schema);

/** A schema error as a sentence that starts with the variable's name. */
function describe(error: ErrorObject): string {
  // The parsers' own messages already name the variable.
  if (error.keyword === 'parsedBy') return error.message ?? 'is invalid';
  const name = error.instancePath.replace(/^\//, '') || String(error.params['missingProperty'] ?? '');
  if (error.keyword === 'pattern') return `${name} ${PATTERN_WORDS[name] ?? 'is not in the expected form'}`;
  return `${name} ${error.message ?? 'is invalid'}`;
}

/** A setting is missing, malformed or refused; the message names the environment variable. */
export class ConfigError extends BaseError<'ERR_CONFIG'> {
  override readonly name = 'ConfigError';

  constructor(message: string) {
    super('ERR_CONFIG', message);
  }
}

/** What `loadConfig` needs to resolve a secret that is not in the environment. */
export interface SecretSource {
  /** Returns the development secret from the data directory, creating it if missing. */
  developmentSecret(dataDir: string): string;
}

const SETTING_NAMES = Object.keys(schema.properties ?? {}) as (keyof EnvSettings)[];

/** What each setting's pattern asks for, in words: the operator reads this, not the regex. */
const PATTERN_WORDS: Readonly<Record<string, string>> = {
  ISSUER: 'must be an http:// or https:// URL without a query or fragment (https://auth.example.com)',
  DATABASE_URL: 'must begin with sqlite:, postgres://, postgresql:// or cockroachdb://',
  REDIS_URL: 'must begin with redis:// or rediss://',
  REDIS_CLUSTER_NODES: 'must be host:port pairs separated by commas (redis-1:6379,redis-2:6379)',
  TOLLGATE_METRICS_TOKEN: 'must be printable ASCII characters without spaces',
};

/**
 * Builds the configuration from `env`. Only Tollgate's own variables are read;
 * empty strings count as unset so `FOO= npm start` behaves like no FOO.
 */
export function loadConfig(env: NodeJS.ProcessEnv, secrets: SecretSource): Config {
  const raw: Record<string, unknown> = {};
  for (const name of SETTING_NAMES) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  if (!validate(raw)) {
    throw new ConfigError(`invalid configuration: ${(validate.errors ?? []).map(describe).join('; ')}`);
  }
  const settings: EnvSettings = raw;
  const production = settings.NODE_ENV === 'production';

  const issuer = (settings.ISSUER ?? `http://localhost:${settings.PORT}`).replace(/\/$/, '');
  if (production && !issuer.startsWith('https://')) {
    throw new ConfigError('ISSUER must be an https:// URL when NODE_ENV=production');
  }

  const databaseUrl = settings.DATABASE_URL ?? `sqlite:${join(settings.TOLLGATE_DATA_DIR, 'tollgate.sqlite')}`;

  // SQLite is one file locked by one process: a second worker would queue
  // behind the first for every write (or fail with SQLITE_BUSY).
  if (settings.TOLLGATE_WORKERS > 1 && databaseUrl.startsWith('sqlite:')) {
    throw new ConfigError(
      `TOLLGATE_WORKERS (--workers) is ${settings.TOLLGATE_WORKERS} but DATABASE_URL is SQLite, which serves one process: use PostgreSQL (DATABASE_URL=postgres://…) or one worker`,
    );
  }

  let secret = settings.TOLLGATE_SECRET;
  let secretGenerated = false;
  if (!secret) {
    if (production) {
      throw new ConfigError('TOLLGATE_SECRET is required when NODE_ENV=production (at least 32 characters; `openssl rand -base64 48`)');
    }
    secret = secrets.developmentSecret(settings.TOLLGATE_DATA_DIR);
    secretGenerated = true;
  } else {
    const weakness = secretWeakness(secret);
    if (weakness) throw new ConfigError(`TOLLGATE_SECRET ${weakness}: ${SECRET_HOWTO}`);
  }
  const previous = (settings.TOLLGATE_SECRET_PREVIOUS ?? '')
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean);
  for (const old of previous) {
    const weakness = secretWeakness(old);
    if (weakness) throw new ConfigError(`TOLLGATE_SECRET_PREVIOUS entries ${weakness}`);
  }

  if (settings.TOLLGATE_REFRESH_TOKEN_IDLE_TTL > settings.TOLLGATE_REFRESH_TOKEN_TTL) {
    throw new ConfigError('TOLLGATE_REFRESH_TOKEN_IDLE_TTL must not exceed TOLLGATE_REFRESH_TOKEN_TTL (the idle timeout cannot outlast the absolute lifetime)');
  }
  if (production && settings.TOLLGATE_JWKS_URI_PRIVATE_NETWORK === 'allow') {
    throw new ConfigError('TOLLGATE_JWKS_URI_PRIVATE_NETWORK=allow is for development only and refused when NODE_ENV=production');
  }

  // /metrics names client ids and error rates: in production nobody may read
  // it without the token (TOLLGATE_METRICS=off turns the endpoint off instead).
  const metricsEnabled = settings.TOLLGATE_METRICS === 'on' || settings.TOLLGATE_METRICS === 'true';
  if (production && metricsEnabled && !settings.TOLLGATE_METRICS_TOKEN) {
    throw new ConfigError(
      'TOLLGATE_METRICS_TOKEN is required when NODE_ENV=production and metrics are on (`openssl rand -base64 32`; Prometheus sends it as a bearer token), or set TOLLGATE_METRICS=off',
    );
  }

  if (settings.REDIS_URL && settings.REDIS_CLUSTER_NODES) {
    throw new ConfigError('set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both');
  }

  const keyBackend = keyBackendSettings(settings);

  return Object.freeze({
    port: settings.PORT,
    adminPort: settings.TOLLGATE_ADMIN_PORT,
    host: settings.HOST,
    issuer,
    databaseUrl,
    databaseUrlDefaulted: settings.DATABASE_URL === undefined,
    dataDir: settings.TOLLGATE_DATA_DIR,
    secrets: Object.freeze([secret, ...previous]),
    secretGenerated,
    accessTokenTtlSeconds: settings.TOLLGATE_ACCESS_TOKEN_TTL,
    credentialCacheTtlSeconds: settings.TOLLGATE_CREDENTIAL_CACHE_TTL,
    refreshTokens: Object.freeze({ absoluteTtlSeconds: settings.TOLLGATE_REFRESH_TOKEN_TTL, idleTtlSeconds: settings.TOLLGATE_REFRESH_TOKEN_IDLE_TTL }),
    refreshRetryGraceSeconds: settings.TOLLGATE_REFRESH_RETRY_GRACE,
    jwksMaxAgeSeconds: settings.TOLLGATE_JWKS_MAX_AGE,
    keyRotationDays: settings.TOLLGATE_KEY_ROTATION_DAYS,
    redisUrl: settings.REDIS_CLUSTER_NODES ? clusterTarget(settings.REDIS_CLUSTER_NODES) : settings.REDIS_URL,
    rateLimits: rateLimitSettings(settings),
    auditTokenEvents: settings.TOLLGATE_AUDIT_TOKEN_EVENTS,
    auditRetentionDays: settings.TOLLGATE_AUDIT_RETENTION_DAYS > 0 ? settings.TOLLGATE_AUDIT_RETENTION_DAYS : undefined,
    metrics: Object.freeze({
      enabled: metricsEnabled,
      token: settings.TOLLGATE_METRICS_TOKEN,
    }),
    logLevel: settings.LOG_LEVEL,
    production,
    workers: settings.TOLLGATE_WORKERS,
    jwksUriPrivateNetwork: settings.TOLLGATE_JWKS_URI_PRIVATE_NETWORK === 'allow',
    shutdownTimeoutSeconds: settings.TOLLGATE_SHUTDOWN_TIMEOUT,
    databaseStartTimeoutSeconds: settings.TOLLGATE_DATABASE_START_TIMEOUT,
    databaseTimeoutMs: Math.round(settings.TOLLGATE_DATABASE_TIMEOUT * 1000),
    keyBackend,
  });
}

/** TOLLGATE_KEY_BACKEND=pkcs11 needs a module, one way to find the token, and one source for the PIN. */
function keyBackendSettings(settings: EnvSettings): KeyBackendSettings {
  const pkcs11Settings = (['TOLLGATE_PKCS11_MODULE', 'TOLLGATE_PKCS11_TOKEN_LABEL', 'TOLLGATE_PKCS11_SLOT', 'TOLLGATE_PKCS11_PIN', 'TOLLGATE_PKCS11_PIN_FILE'] as const).filter(
    (name) => settings[name] !== undefined,
  );
  if (settings.TOLLGATE_KEY_BACKEND === 'database') {
    if (pkcs11Settings.length) throw new ConfigError(`${pkcs11Settings.join(', ')} set but TOLLGATE_KEY_BACKEND is database: set TOLLGATE_KEY_BACKEND=pkcs11 to use them`);
    return { kind: 'database' };
  }
  const { TOLLGATE_PKCS11_MODULE: modulePath, TOLLGATE_PKCS11_TOKEN_LABEL: tokenLabel, TOLLGATE_PKCS11_SLOT: slotId } = settings;
  if (!modulePath) throw new ConfigError('TOLLGATE_PKCS11_MODULE is required when TOLLGATE_KEY_BACKEND=pkcs11 (the path of the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so)');
  if ((tokenLabel === undefined) === (slotId === undefined)) {
    throw new ConfigError('set one of TOLLGATE_PKCS11_TOKEN_LABEL (the token\'s label) or TOLLGATE_PKCS11_SLOT (its slot id) when TOLLGATE_KEY_BACKEND=pkcs11');
  }
  if ((settings.TOLLGATE_PKCS11_PIN === undefined) === (settings.TOLLGATE_PKCS11_PIN_FILE === undefined)) {
    throw new ConfigError('set one of TOLLGATE_PKCS11_PIN or TOLLGATE_PKCS11_PIN_FILE (a file holding the user PIN) when TOLLGATE_KEY_BACKEND=pkcs11');
  }
  return { kind: 'pkcs11', token: { modulePath, tokenLabel, slotId, pin: settings.TOLLGATE_PKCS11_PIN ?? readPinFile(settings.TOLLGATE_PKCS11_PIN_FILE!) } };
}

function readPinFile(path: string): string {
  let pin: string;
  try {
    pin = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new ConfigError(`TOLLGATE_PKCS11_PIN_FILE ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!pin) throw new ConfigError(`TOLLGATE_PKCS11_PIN_FILE ${path} is empty`);
  return pin;
}
