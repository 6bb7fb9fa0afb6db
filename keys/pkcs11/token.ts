import pkcs11js, { type PKCS11 } from 'pkcs11js';
import { KeyStoreError } from '../errors.js';
import { hasReturnValue, Pkcs11Module, pkcs11Reason } from './module.js';

/** Where the keys live (TOLLGATE_PKCS11_*). The PIN is never logged nor put in an error message. */
export interface TokenLocation {
  readonly modulePath: string;
  /** The token's label (CKA_LABEL of the token); or `slotId`. */
  readonly tokenLabel?: string | undefined;
  readonly slotId?: number | undefined;
  readonly pin: string;
}

export interface TokenOptions {
  /** Sessions kept open: signatures run in parallel up to this many. Default 4. */
  readonly sessions?: number;
  /** The bound on one operation; past it the module counts as unreachable. Default 2 000 ms. */
  readonly timeoutMs?: number;
  /** After a failed reconnection, how long requests fail fast before the next attempt. Default 1 000 ms. */
  readonly retryMs?: number;
  readonly clock?: () => number;
  /** Told of every failed and every successful operation: an outage log (src/lifecycle/outage-log.ts) turns that into a few lines. */
  readonly availability?: { unavailable(error: unknown): void; available(): void };
}

/** What an operation gets: the library, a logged-in session of its own, and a cache that lives as long as the sessions. */
export interface TokenSession {
  readonly api: PKCS11;
  readonly session: Buffer;
  /** Object handles by key, valid until the sessions are reopened. */
  readonly handles: Map<string, Buffer>;
}

interface Connection {
  readonly generation: number;
  readonly sessions: readonly Buffer[];
  readonly idle: Buffer[];
  readonly waiting: ((session: Buffer) => void)[];
  readonly handles: Map<string, Buffer>;
  readonly inFlight: Set<Promise<unknown>>;
}

// Failures that mean the settings are wrong, not that the module is away.
const MISCONFIGURATION = new Set([
  pkcs11js.CKR_PIN_INCORRECT,
  pkcs11js.CKR_PIN_INVALID,
  pkcs11js.CKR_PIN_LEN_RANGE,
  pkcs11js.CKR_PIN_LOCKED,
  pkcs11js.CKR_PIN_EXPIRED,
  pkcs11js.CKR_USER_PIN_NOT_INITIALIZED,
  pkcs11js.CKR_SLOT_ID_INVALID,
]);

/**
 * Logged-in sessions with one token, reopened when they are lost. Every
 * failure of the module (an error return, no answer within the bound) ends
 * the operation with ERR_SIGNING_MODULE_UNAVAILABLE, drops the sessions, and
 * the next operation opens new ones (restarting the library if that fails).
 * Nothing is retried inside an operation: a request fails within one bound.
 */
export class Pkcs11Token {
  readonly #module: Pkcs11Module;
  readonly #location: TokenLocation;
  readonly #size: number;
  readonly #timeoutMs: number;
  readonly #retryMs: number;
  readonly #clock: () => number;
  readonly #availability: TokenOptions['availability'];
  #connection: Connection | undefined;
  #connecting: Promise<Connection> | undefined;
  #retryAt = 0;
  #lastFailure = '';
  #closed = false;

  private constructor(location: TokenLocation, options: TokenOptions) {
    this.#module = Pkcs11Module.load(location.modulePath);
    this.#location = location;
    this.#size = options.sessions ?? 4;
    this.#timeoutMs = options.timeoutMs ?? 2_000;
    this.#retryMs = options.retryMs ?? 1_000;
    this.#clock = options.clock ?? Date.now;
    this.#availability = options.availability;
  }

  /**
   * Loads the module, finds the token and logs in: a wrong module path,
   * token or PIN fails here, at start-up, with one line naming the setting.
   */
  static async open(location: TokenLocation, options: TokenOptions = {}): Promise<Pkcs11Token> {
    const token = new Pkcs11Token(location, options);
    try {
      token.#connection = await token.#connect();
    } catch (error) {
      const code = error instanceof pkcs11js.Pkcs11Error ? error.code : undefined;
      const misconfigured = error instanceof KeyStoreError || (code !== undefined && MISCONFIGURATION.has(code));
      const message = error instanceof KeyStoreError ? error.message : `${token.#describe()} refused the login: ${pkcs11Reason(error)}`;
      if (misconfigured) throw new KeyStoreError('ERR_SIGNING_MODULE_MISCONFIGURED', message, { cause: error });
      throw new KeyStoreError('ERR_SIGNING_MODULE_UNAVAILABLE', `${token.#describe()} is unavailable: ${pkcs11Reason(error)}`, { cause: error });
    }
    return token;
  }

  /** Runs `work` on a session of its own, within the time bound (or `timeoutMs`, for work off the request path). */
  async run<T>(work: (session: TokenSession) => T | Promise<T>, timeoutMs = this.#timeoutMs): Promise<T> {
    try {
      const result = await this.#run(work, timeoutMs);
      this.#availability?.available();
      return result;
    } catch (error) {
      if (error instanceof KeyStoreError && error.code === 'ERR_SIGNING_MODULE_UNAVAILABLE') this.#availability?.unavailable(error);
      throw error;
    }
  }

  /** Resolves when the token answers on a session now (readiness); rejects with ERR_SIGNING_MODULE_UNAVAILABLE otherwise. */
  async check(): Promise<void> {
    await this.run(({ api, session }) => api.C_GetSessionInfo(session));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection) await this.#closeSessions(connection);
  }

  async #run<T>(work: (session: TokenSession) => T | Promise<T>, timeoutMs: number): Promise<T> {
    const connection = await this.#connected();
    const session = await this.#acquire(connection);
    const operation = Promise.resolve().then(() => work({ api: this.#module.api, session, handles: connection.handles }));
    connection.inFlight.add(operation);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([operation, timeout]);
    } catch (error) {
      if (error instanceof KeyStoreError) throw error;
      this.#drop(connection, error);
      throw this.#unavailable(error);
    } finally {
      clearTimeout(timer);
      void operation.then(
        () => this.#release(connection, session),
        () => this.#release(connection, session),
      ).finally(() => connection.inFlight.delete(operation));
    }
  }

  #describe(): string {
    const { modulePath, tokenLabel, slotId } = this.#location;
    return tokenLabel !== undefined ? `PKCS#11 token "${tokenLabel}" (${modulePath})` : `PKCS#11 slot ${slotId} (${modulePath})`;
  }

  #unavailable(error: unknown): KeyStoreError {
    return new KeyStoreError('ERR_SIGNING_MODULE_UNAVAILABLE', `${this.#describe()} is unavailable: ${pkcs11Reason(error)}`, { cause: error });
  }

  async #connected(): Promise<Connection> {
    if (this.#closed) throw new KeyStoreError('ERR_SIGNING_MODULE_UNAVAILABLE', `${this.#describe()}: the key backend is closed`);
    const current = this.#connection;
    if (current && current.generation === this.#module.generation) return current;
    if (current) this.#drop(current, new Error('the module was restarted'));
    if (this.#connecting) return this.#connecting;
    if (this.#clock() < this.#retryAt) {
      throw new KeyStoreError('ERR_SIGNING_MODULE_UNAVAILABLE', `${this.#describe()} is unavailable: ${this.#lastFailure}`);
    }
    this.#connecting = this.#connect()
      .then((connection) => {
        this.#connection = connection;
        return connection;
      })
      .catch((error: unknown) => {
        // Reopening sessions failed: restart the library so the next attempt
        // (after retryMs, failing fast until then) starts from C_Initialize.
        this.#lastFailure = pkcs11Reason(error);
        this.#retryAt = this.#clock() + this.#retryMs;
        this.#module.restart(this.#module.generation);
        throw this.#unavailable(error);
      })
      .finally(() => {
        this.#connecting = undefined;
      });
    return this.#connecting;
  }

  async #connect(): Promise<Connection> {
    const { api } = this.#module;
    this.#module.initialize();
    const generation = this.#module.generation;
    const slot = this.#findSlot(api);
    const sessions: Buffer[] = [];
    try {
      for (let i = 0; i < this.#size; i++) sessions.push(api.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION));
      try {
        // One login covers every session of this process with the token.
        api.C_Login(sessions[0]!, pkcs11js.CKU_USER, this.#location.pin);
      } catch (error) {
        if (!hasReturnValue(error, pkcs11js.CKR_USER_ALREADY_LOGGED_IN)) throw error;
      }
    } catch (error) {
      for (const session of sessions) this.#closeQuietly(session);
      throw error;
    }
    return { generation, sessions, idle: [...sessions], waiting: [], handles: new Map(), inFlight: new Set() };
  }

  #findSlot(api: PKCS11): Buffer {
    const { tokenLabel, slotId } = this.#location;
    const slots = api.C_GetSlotList(true);
    const slot = slots.find((candidate) =>
      tokenLabel !== undefined ? api.C_GetTokenInfo(candidate).label.trim() === tokenLabel : candidate.readUIntLE(0, Math.min(candidate.length, 6)) === slotId,
    );
    if (!slot) {
      const setting = tokenLabel !== undefined ? `TOLLGATE_PKCS11_TOKEN_LABEL: no token labelled "${tokenLabel}"` : `TOLLGATE_PKCS11_SLOT: no token in slot ${slotId}`;
      throw new KeyStoreError('ERR_SIGNING_MODULE_MISCONFIGURED', `${setting} in ${this.#location.modulePath}`);
    }
    return slot;
  }

  #acquire(connection: Connection): Promise<Buffer> {
    const session = connection.idle.pop();
    if (session) return Promise.resolve(session);
    return new Promise((resolve) => connection.waiting.push(resolve));
  }

  #release(connection: Connection, session: Buffer): void {
    const waiter = connection.waiting.shift();
    if (waiter) waiter(session);
    else connection.idle.push(session);
  }

  /** Forgets a connection that failed; its sessions are closed once nothing runs on them. */
  #drop(connection: Connection, cause: unknown): void {
    if (this.#connection !== connection) return;
    this.#connection = undefined;
    this.#lastFailure = pkcs11Reason(cause);
    // Operations queued for a session of this connection fail like the one that broke it.
    for (const waiter of connection.waiting.splice(0)) waiter(connection.sessions[0]!);
    void this.#closeSessions(connection);
  }

  async #closeSessions(connection: Connection): Promise<void> {
    await Promise.allSettled([...connection.inFlight]);
    if (connection.generation !== this.#module.generation) return;
    for (const session of connection.sessions) this.#closeQuietly(session);
  }

  #closeQuietly(session: Buffer): void {
    try {
      this.#module.api.C_CloseSession(session);
    } catch {
      // Already closed by the module (that is often why it is being dropped).
    }
  }
}
