import pkcs11js, { type PKCS11 } from 'pkcs11js';
import { initSoftHsmToken, SOFTHSM_MODULE, softhsmInstalled } from '../../scripts/softhsm-token.js';

/**
 * Why the PKCS#11 suites skip on this machine, or false. SoftHSM is optional
 * locally; CI (.ci/run) installs it and sets TEST_REQUIRE_SOFTHSM=1, and then
 * a missing SoftHSM fails the suite instead of skipping it.
 */
export function softhsmSkip(): string | false {
  if (softhsmInstalled()) return false;
  if (process.env['TEST_REQUIRE_SOFTHSM'] === '1') {
    throw new Error(`TEST_REQUIRE_SOFTHSM=1 but SoftHSM (${SOFTHSM_MODULE}, softhsm2-util) is missing (apt-get install softhsm2)`);
  }
  return `PKCS#11 suite skipped: SoftHSM is missing (apt-get install softhsm2; TEST_REQUIRE_SOFTHSM=1 makes that a failure)`;
}

/** A fresh SoftHSM token of this test process, with the settings that point Tollgate at it. */
export interface SoftHsmToken {
  readonly label: string;
  readonly pin: string;
  /** Where SoftHSM keeps this token's files: moving it away makes the token vanish. */
  readonly tokenDir: string;
  readonly env: Record<string, string>;
  /** The test's own view of the library (the same one the server in this process uses). */
  readonly api: PKCS11;
  /** A logged-in session of the test's own, for looking at objects. */
  session(): Buffer;
  /** Closes every session this process has with the token: the server's too. */
  killSessions(): void;
  remove(): void;
}

/**
 * Initialises a token in a temporary SoftHSM configuration. SoftHSM reads
 * SOFTHSM2_CONF when the library is initialised, so this sets it for the
 * whole process: call it once per test file, before any server starts.
 */
export function createSoftHsmToken(): SoftHsmToken {
  const files = initSoftHsmToken();
  const { label, pin } = files;
  process.env['SOFTHSM2_CONF'] = files.env['SOFTHSM2_CONF'];
  const api = new pkcs11js.PKCS11();
  api.load(SOFTHSM_MODULE);
  try {
    api.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (error) {
    if (!(error instanceof pkcs11js.Pkcs11Error && error.code === pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED)) throw error;
  }
  const slot = () => {
    const found = api.C_GetSlotList(true).find((candidate) => api.C_GetTokenInfo(candidate).label.trim() === label);
    if (!found) throw new Error(`no SoftHSM token ${label}`);
    return found;
  };
  return {
    label,
    pin,
    tokenDir: files.tokenDir,
    api,
    env: files.env,
    session() {
      const session = api.C_OpenSession(slot(), pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
      try {
        api.C_Login(session, pkcs11js.CKU_USER, pin);
      } catch (error) {
        if (!(error instanceof pkcs11js.Pkcs11Error && error.code === pkcs11js.CKR_USER_ALREADY_LOGGED_IN)) throw error;
      }
      return session;
    },
    killSessions() {
      api.C_CloseAllSessions(slot());
    },
    remove: files.remove,
  };
}

/** The token's objects (private and public keys) labelled for `kid`. */
export function objectsOf(token: SoftHsmToken, kid: string, objectClass?: number): Buffer[] {
  const session = token.session();
  try {
    token.api.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_LABEL, value: `tollgate:${kid}` },
      ...(objectClass === undefined ? [] : [{ type: pkcs11js.CKA_CLASS, value: objectClass }]),
    ]);
    const found = token.api.C_FindObjects(session, 16);
    token.api.C_FindObjectsFinal(session);
    return found;
  } finally {
    token.api.C_CloseSession(session);
  }
}
