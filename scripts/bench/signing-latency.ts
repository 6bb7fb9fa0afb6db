/**
 * One ES256 signature, in process (jose over node:crypto) against through the
 * PKCS#11 backend (SoftHSM via pkcs11js), sequential and 4 at a time, in wall
 * and CPU time: the per-signature cost the key-backend section of
 * `npm run bench` sees per token.
 *
 *     npm run build && node dist/scripts/bench/signing-latency.js   (N=2000 by default)
 */
import { CompactSign, generateKeyPair } from 'jose';
import { initSoftHsmToken, softhsmInstalled } from '../softhsm-token.js';

if (!softhsmInstalled()) {
  console.log('SoftHSM is missing (apt-get install softhsm2)');
  process.exit(1);
}
const token = initSoftHsmToken('bench', '1234');
// Before the module is first initialised, which reads it.
process.env['SOFTHSM2_CONF'] = token.env['SOFTHSM2_CONF'];
const { openPkcs11Backend } = await import('../../keys/pkcs11-backend.js');

const N = Number(process.env['N'] ?? 2000);
const input = new TextEncoder().encode(`eyJhbGciOiJFUzI1NiJ9.${'x'.repeat(600)}`);
const backend = await openPkcs11Backend({ modulePath: token.env['TOLLGATE_PKCS11_MODULE']!, tokenLabel: token.label, pin: token.pin });
try {
  const key = await backend.generate('ES256');
  const inToken = await backend.load({ kid: key.kid, alg: 'ES256', publicJwk: key.publicJwk, privatePart: key.privatePart });
  if (inToken.kind !== 'external') throw new Error('the PKCS#11 backend gave an in-process key');
  const { privateKey } = await generateKeyPair('ES256');

  const time = async (label: string, concurrency: number, sign: () => Promise<unknown>) => {
    for (let i = 0; i < 200; i++) await sign();
    let left = N;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left-- > 0) await sign();
      }),
    );
    const ms = performance.now() - started;
    // CPU of every thread of the process (SoftHSM signs on libuv's pool): steadier than wall time on a busy machine.
    const cpu = process.cpuUsage(cpuBefore);
    console.log(
      `${label.padEnd(36)} ${concurrency} at a time: ${((1000 * ms) / N).toFixed(0).padStart(5)} µs/signature wall, ${String(Math.round((N / ms) * 1000)).padStart(6)} signatures/s, ${((cpu.user + cpu.system) / N).toFixed(0).padStart(4)} µs CPU/signature`,
    );
  };
  for (const concurrency of [1, 4]) {
    await time('in process (jose, node:crypto)', concurrency, () => new CompactSign(input).setProtectedHeader({ alg: 'ES256' }).sign(privateKey));
    await time('PKCS#11 (SoftHSM, pkcs11js)', concurrency, () => inToken.sign(input));
  }
  await backend.destroy([key.kid]);
} finally {
  await backend.close();
  token.remove();
}
