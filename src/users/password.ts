import { generateSecret, hashSecret, verifySecret } from '../registry/secrets.js';

let decoy: Promise<string> | undefined;

/**
 * Checks `presented` against `hash`, or, when there is no account, against a
 * hash of a random secret nobody knows: an unknown email pays the same
 * argon2 cost as a wrong password, so response time does not tell which
 * addresses have accounts.
 */
export async function verifyPassword(hash: string | undefined, presented: string): Promise<boolean> {
  if (hash === undefined) {
    decoy ??= hashSecret(generateSecret());
    await verifySecret(await decoy, presented);
    return false;
  }
  return verifySecret(hash, presented);
}
