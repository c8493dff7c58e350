// A real OpenID provider for the tests: node-oidc-provider on 127.0.0.1, started by
// tests/support/oidc.py. Settings come from the environment:
//   OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET (empty: a public client), OIDC_REDIRECT_URI,
//   OIDC_KEYS: a JSON file of private JWKs (the first one signs; all are published).
// Accounts are fixed (below); the development interactions log anyone in by account id, so a
// test drives them with plain HTTP: GET the interaction, POST the login form, POST the consent.
// Every request is written to stdout as one line `REQUEST <method> <path>`.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const secret = process.env.OIDC_CLIENT_SECRET || '';
const keys = JSON.parse(readFileSync(process.env.OIDC_KEYS, 'utf8'));

const accounts = {
  alice: { email: 'alice@example.com', email_verified: true, name: 'Alice Admin', preferred_username: 'alice', groups: ['admins', 'staff'] },
  bob: { email: 'bob@example.com', email_verified: true, name: 'Bob Sales', preferred_username: 'bob', groups: ['sales'] },
  carol: { email: 'carol@example.com', email_verified: true, name: 'Carol Nogroup', preferred_username: 'carol', groups: ['staff'] },
  // Claims the email of the platform's first admin, unverified: must not take that account over.
  mallory: { email: 'admin@example.com', email_verified: false, name: 'Mallory', preferred_username: 'mallory', groups: ['sales'] },
  // The same address, verified: links to the existing account.
  verified_admin: { email: 'admin@example.com', email_verified: true, name: 'Admin', preferred_username: 'admin', groups: ['admins'] },
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID,
    ...(secret ? { client_secret: secret, token_endpoint_auth_method: 'client_secret_basic' } : { token_endpoint_auth_method: 'none' }),
    redirect_uris: [process.env.OIDC_REDIRECT_URI],
    response_types: ['code'],
    // ID tokens are signed with the first key's algorithm (RS256 or ES256).
    id_token_signed_response_alg: keys[0].alg,
    grant_types: ['authorization_code'],
  }],
  jwks: { keys },
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  // The platform reads the claims from the ID token (no userinfo call).
  conformIdTokenClaims: false,
  cookies: { keys: ['oidc-test-cookie-key'] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
});

provider.use(async (ctx, next) => {
  process.stdout.write(`REQUEST ${ctx.method} ${ctx.path}\n`);
  await next();
});

provider.listen(port, '127.0.0.1', () => process.stdout.write(`LISTENING ${issuer}\n`));
