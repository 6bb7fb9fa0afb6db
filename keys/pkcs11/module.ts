import pkcs11js, { type PKCS11 } from 'pkcs11js';
import { KeyStoreError } from '../errors.js';

/** The PKCS#11 return value's name (CKR_…), or the error's message when it is not a module error. */
export function pkcs11Reason(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

export const hasReturnValue = (error: unknown, code: number): boolean =>
  error instanceof pkcs11js.Pkcs11Error && error.code === code;

/**
 * A PKCS#11 library, loaded once per process: C_Initialize and C_Finalize
 * act on the library as a whole, so every token client of one path shares
 * it. `generation` counts restarts; a client whose sessions predate the
 * current generation knows they are gone.
 */
export class Pkcs11Module {
  static readonly #loaded = new Map<string, Pkcs11Module>();

  /** Loads the library at `path` (TOLLGATE_PKCS11_MODULE); a path that is no PKCS#11 library fails start-up. */
  static load(path: string): Pkcs11Module {
    let loaded = Pkcs11Module.#loaded.get(path);
    if (!loaded) {
      const api = new pkcs11js.PKCS11();
      try {
        api.load(path);
      } catch (error) {
        throw new KeyStoreError('ERR_SIGNING_MODULE_MISCONFIGURED', `TOLLGATE_PKCS11_MODULE ${path} cannot be loaded as a PKCS#11 library: ${pkcs11Reason(error)}`, {
          cause: error,
        });
      }
      loaded = new Pkcs11Module(api);
      Pkcs11Module.#loaded.set(path, loaded);
    }
    return loaded;
  }

  #initialized = false;
  #generation = 0;

  private constructor(readonly api: PKCS11) {}

  get generation(): number {
    return this.#generation;
  }

  /** C_Initialize once; the library may be shared with another client (or application code) that already did. */
  initialize(): void {
    if (this.#initialized) return;
    try {
      // OS locking: signatures run on libuv's thread pool, several at once.
      this.api.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (error) {
      if (!hasReturnValue(error, pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED)) throw error;
    }
    this.#initialized = true;
  }

  /**
   * C_Finalize, so the next `initialize()` starts the library afresh: what
   * brings back a module whose token went away and came back (a network HSM
   * reconnecting, SoftHSM's token directory restored), which reopening
   * sessions alone does not. Does nothing if another client restarted it
   * since `seenGeneration`.
   */
  restart(seenGeneration: number): void {
    if (seenGeneration !== this.#generation) return;
    this.#generation += 1;
    this.#initialized = false;
    try {
      this.api.C_Finalize();
    } catch {
      // Already finalized, or the module is gone: initialize() will tell.
    }
  }
}
