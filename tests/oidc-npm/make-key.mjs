// Prints a new private JWK for the test provider: `node make-key.mjs KID [RS256|ES256]`.
import { generateKeyPairSync } from 'node:crypto';

const [kid, alg = 'RS256'] = process.argv.slice(2);
const { privateKey } = alg === 'ES256'
  ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
  : generateKeyPairSync('rsa', { modulusLength: 2048 });
process.stdout.write(JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' }));
