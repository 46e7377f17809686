// Reference OpenID provider for the benchmark: panva/oidc-provider (OpenID Certified) with
// its default in-memory storage, the same clients as Bawaba's bench run, ES256 tokens, and a
// login/consent interaction that completes without a person.
// With --ciba it also serves CIBA in poll mode (features.ciba) to the bench-ciba client,
// approving every request after --ciba-delay seconds, as the bench's MSSP simulator
// confirms Mobile ID requests for Bawaba.
//   node server.mjs --port 5100 [--ciba --ciba-delay 0.5]
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '5100' },
    ciba: { type: 'boolean', default: false },
    'ciba-delay': { type: 'string', default: '0.5' },
  },
});
const issuer = `http://127.0.0.1:${args.port}`;
const API = 'urn:bawaba:bench:api';
const REDIRECT_URI = 'http://127.0.0.1:9/callback';

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingKey = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'bench-es256' };

const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';
const cibaClients = args.ciba ? [{
  client_id: 'bench-ciba',
  client_secret: 'bench-ciba-secret',
  redirect_uris: [],
  response_types: [],
  grant_types: [CIBA_GRANT],
  backchannel_token_delivery_mode: 'poll',
  token_endpoint_auth_method: 'client_secret_basic',
  id_token_signed_response_alg: 'ES256',
}] : [];

let provider;
// The person approves on their device: a grant of the requested scope, after the delay.
function approveLater(request, account, client) {
  setTimeout(async () => {
    const grant = new provider.Grant({ accountId: account.accountId, clientId: client.clientId });
    grant.addOIDCScope(request.scope);
    await grant.save();
    await provider.backchannelResult(request, grant, {
      acr: 'urn:bawaba:acr:level-2', amr: ['hwk', 'pin', 'mca', 'mfa'], authTime: Math.floor(Date.now() / 1000),
    });
  }, Number(args['ciba-delay']) * 1000);
}

provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  clients: [
    ...cibaClients,
    {
      client_id: 'bench-web',
      client_secret: 'bench-web-secret',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
    {
      client_id: 'bench-service',
      client_secret: 'bench-service-secret',
      redirect_uris: [],
      response_types: [],
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
  ],
  scopes: ['openid', 'profile', 'offline_access', 'api'],
  claims: { openid: ['sub'], profile: ['name'] },
  pkce: { required: () => true },
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, name: `Citizen ${sub}` }) }),
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    ciba: {
      enabled: args.ciba,
      deliveryModes: ['poll'],
      processLoginHint: async (ctx, loginHint) => loginHint,
      validateRequestContext: async () => {},
      verifyUserCode: async () => {},
      triggerAuthenticationDevice: async (ctx, request, account, client) => {
        approveLater(request, account, client);
      },
    },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (ctx, client) => (client.clientId === 'bench-service' ? API : undefined),
      getResourceServerInfo: async () => ({
        scope: 'api',
        audience: API,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
      useGrantedResource: async () => false,
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['bench-cookie-key'] },
});

// The non-interactive login: every interaction logs in the account named by login_hint
// and grants what the client asked for.
async function interact(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: params.login_hint || 'bench-user' } },
      { mergeWithLastSubmission: false });
    return;
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const callback = provider.callback();
http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interact(req, res).catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    });
    return;
  }
  callback(req, res);
}).listen(Number(args.port), '127.0.0.1', () => console.log(`reference provider on ${issuer}`));
