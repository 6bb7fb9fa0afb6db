import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkcs11js, { type PKCS11 } from 'pkcs11js';

/** Debian's softhsm2 package puts the module here. */
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const SOFTHSM_UTIL = '/usr/bin/softhsm2-util';

/**
 * Why the PKCS#11 suites skip on this machine, or false. SoftHSM is optional
 * locally; CI (.ci/run) installs it and sets TEST_REQUIRE_SOFTHSM=1, and then
 * a missing SoftHSM fails the suite instead of skipping it.
 */
export function softhsmSkip(): string | false {
  if (existsSync(SOFTHSM_MODULE) && existsSync(SOFTHSM_UTIL)) return false;
  if (process.env['TEST_REQUIRE_SOFTHSM'] === '1') {
    throw new Error(`TEST_REQUIRE_SOFTHSM=1 but SoftHSM (${SOFTHSM_MODULE}, ${SOFTHSM_UTIL}) is missing (apt-get install softhsm2)`);
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
  const root = mkdtempSync(join(tmpdir(), 'tollgate-softhsm-'));
  const tokenDir = join(root, 'tokens');
  mkdirSync(tokenDir, { mode: 0o700 });
  const conf = join(root, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\n`, { mode: 0o600 });
  process.env['SOFTHSM2_CONF'] = conf;
  const label = 'tollgate-test';
  const pin = '6173-2291';
  execFileSync(SOFTHSM_UTIL, ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', '0000-9999'], {
    env: { ...process.env, SOFTHSM2_CONF: conf },
    stdio: 'ignore',
  });
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
    tokenDir,
    api,
    env: {
      SOFTHSM2_CONF: conf,
      TOLLGATE_KEY_BACKEND: 'pkcs11',
      TOLLGATE_PKCS11_MODULE: SOFTHSM_MODULE,
      TOLLGATE_PKCS11_TOKEN_LABEL: label,
      TOLLGATE_PKCS11_PIN: pin,
    },
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
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
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
