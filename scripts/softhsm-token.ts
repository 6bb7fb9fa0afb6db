import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's softhsm2 package puts the module and its tool here. */
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
export const SOFTHSM_UTIL = '/usr/bin/softhsm2-util';

export const softhsmInstalled = (): boolean => existsSync(SOFTHSM_MODULE) && existsSync(SOFTHSM_UTIL);

/** A SoftHSM token in a configuration of its own, for tests and benchmarks. */
export interface SoftHsmTokenFiles {
  readonly label: string;
  readonly pin: string;
  /** Where SoftHSM keeps the token's files. */
  readonly tokenDir: string;
  /** SOFTHSM2_CONF and the TOLLGATE_* settings that point Tollgate at the token. */
  readonly env: Record<string, string>;
  remove(): void;
}

/**
 * Initialises a fresh token under a temporary SOFTHSM2_CONF. SoftHSM reads
 * SOFTHSM2_CONF when a process initialises the library: pass `env` to
 * processes, or set it in this one before its first C_Initialize.
 */
export function initSoftHsmToken(label = 'tollgate-test', pin = '6173-2291'): SoftHsmTokenFiles {
  const root = mkdtempSync(join(tmpdir(), 'tollgate-softhsm-'));
  const tokenDir = join(root, 'tokens');
  mkdirSync(tokenDir, { mode: 0o700 });
  const conf = join(root, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\n`, { mode: 0o600 });
  execFileSync(SOFTHSM_UTIL, ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', '0000-9999'], {
    env: { ...process.env, SOFTHSM2_CONF: conf },
    stdio: 'ignore',
  });
  return {
    label,
    pin,
    tokenDir,
    env: {
      SOFTHSM2_CONF: conf,
      TOLLGATE_KEY_BACKEND: 'pkcs11',
      TOLLGATE_PKCS11_MODULE: SOFTHSM_MODULE,
      TOLLGATE_PKCS11_TOKEN_LABEL: label,
      TOLLGATE_PKCS11_PIN: pin,
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
