// Loopback OAuth 2.0 / OpenID Connect authorization server for patchbay's
// runtime tests, built on panva's oidc-provider (see README.md).
//
// TEST-ONLY: every secret and key in this file is public and worthless.
//
// Contract with the tests:
//   * binds 127.0.0.1 on PORT (default 0 = a free port chosen by the OS);
//   * once it accepts connections it prints exactly one line to stdout:
//       listening on http://127.0.0.1:PORT
//     and nothing else ever goes to stdout (diagnostics go to stderr);
//   * the issuer is that base URL;
//   * SIGTERM / SIGINT close the listener and exit with status 0.
//
// Optional environment:
//   PORT              port to bind (default 0)
//   ACCESS_TOKEN_TTL  lifetime in seconds of access tokens, both the
//                     authorization-code/refresh ones and client-credentials
//                     ones (default 3600); a small value lets a test see
//                     a token expire.
//   REVOKE_REPLACED_ACCESS_TOKENS=1
//                     a new access token of a grant (a refresh) revokes the
//                     grant's previous one, as some providers do: the
//                     strictest case for concurrent processes sharing tokens.
//   OIDC_DEBUG=1      log every request line to stderr.
//
// GET /test/grants answers how many token requests succeeded, by grant
// type: {"authorization_code": n, "refresh_token": n, ...}.

import * as http from 'node:http';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

// oidc-provider prints its "NOTICE" lines with console.info, i.e. to stdout.
// stdout is reserved for the single "listening on" line that the tests read,
// so every console method is pointed at stderr before the provider loads.
console.info = console.error;
console.log = console.error;
console.debug = console.error;

const { default: Provider, errors } = await import('oidc-provider');

const HOST = '127.0.0.1';
const REQUESTED_PORT = Number.parseInt(process.env.PORT || '0', 10);
if (!Number.isInteger(REQUESTED_PORT) || REQUESTED_PORT < 0 || REQUESTED_PORT > 65535) {
  console.error(`invalid PORT: ${process.env.PORT}`);
  process.exit(2);
}
const ACCESS_TOKEN_TTL = Number.parseInt(process.env.ACCESS_TOKEN_TTL || '3600', 10);
if (!Number.isInteger(ACCESS_TOKEN_TTL) || ACCESS_TOKEN_TTL < 1) {
  console.error(`invalid ACCESS_TOKEN_TTL: ${process.env.ACCESS_TOKEN_TTL}`);
  process.exit(2);
}
const DEBUG = process.env.OIDC_DEBUG === '1';
const REVOKE_REPLACED_ACCESS_TOKENS = process.env.REVOKE_REPLACED_ACCESS_TOKENS === '1';

// The port is only known once the socket is bound, and the issuer must
// contain it: bind first, build the provider, then start answering.
let handler = (_req, res) => {
  res.statusCode = 503;
  res.end();
};
const server = http.createServer((req, res) => handler(req, res));
// Long keep-alive: a pooled client connection is not closed under a test
// that pauses (e.g. waiting for a token to expire); shutdown closes them all.
server.keepAliveTimeout = 60_000;

try {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(REQUESTED_PORT, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
} catch (err) {
  console.error(`cannot listen on ${HOST}:${REQUESTED_PORT}: ${err.code ?? err.message}`);
  process.exit(1);
}

const { port } = server.address();
const ISSUER = `http://${HOST}:${port}`;
// Optional RFC 8707 resource indicator: a token requested with
// `resource=<ISSUER>/api` is audience-restricted to this API and carries
// only its scopes. Without `resource` the tokens are plain opaque tokens
// whose scope is what was granted (what most providers do).
const API_RESOURCE = `${ISSUER}/api`;
const API_SCOPES = 'api:read api:write';

const LOOPBACK_CALLBACK = 'http://127.0.0.1/callback';

const clients = [
  {
    client_id: 'cc-basic',
    // Contains "+", ":", "%" and "/": only an RFC 6749 §2.3.1
    // form-encoded Basic header authenticates.
    client_secret: 's3cr+t:%with/specials',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  },
  {
    client_id: 'cc-post',
    client_secret: 'post-secret-1',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  },
  {
    client_id: 'code-confidential',
    client_secret: 'code+secret:1',
    token_endpoint_auth_method: 'client_secret_basic',
    // native: a loopback http redirect URI matches on any port (RFC 8252 §7.3)
    application_type: 'native',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [LOOPBACK_CALLBACK],
  },
  {
    client_id: 'code-public',
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [LOOPBACK_CALLBACK],
  },
  // --- Client assertions (RFC 7523 §2.2, OIDC Core §9): issue 15 ---------
  // Public keys from ../keys (test-only); oidc-provider verifies each
  // assertion's signature, iss/sub, aud, exp and that its jti is new.
  ...assertionClients(),
  // --- end of client assertions ---------------------------------------
];

// --- device authorization grant (RFC 8628) -------------------------------
// Two device clients; `features.deviceFlow` is enabled below, with
// DEVICE_CODE_TTL (seconds, default 600) and DEVICE_POLL_INTERVAL (the
// `interval` the device authorization answer states; none by default).
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const DEVICE_CODE_TTL = Number.parseInt(process.env.DEVICE_CODE_TTL || '600', 10);
const DEVICE_POLL_INTERVAL = process.env.DEVICE_POLL_INTERVAL === undefined
  ? undefined
  : Number.parseInt(process.env.DEVICE_POLL_INTERVAL, 10);
if (!Number.isInteger(DEVICE_CODE_TTL) || DEVICE_CODE_TTL < 1
    || (DEVICE_POLL_INTERVAL !== undefined && !(DEVICE_POLL_INTERVAL >= 0))) {
  console.error('invalid DEVICE_CODE_TTL or DEVICE_POLL_INTERVAL');
  process.exit(2);
}
clients.push(
  {
    client_id: 'device-public',
    token_endpoint_auth_method: 'none',
    grant_types: [DEVICE_CODE_GRANT, 'refresh_token'],
    response_types: [],
    redirect_uris: [],
  },
  {
    client_id: 'device-confidential',
    client_secret: 'device+secret:1',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: [DEVICE_CODE_GRANT, 'refresh_token'],
    response_types: [],
    redirect_uris: [],
  },
);
// --- end of device authorization grant -----------------------------------

function assertionClients() {
  const jwk = (file, kid) => ({
    ...createPublicKey(readFileSync(new URL(`../keys/${file}`, import.meta.url))).export({ format: 'jwk' }),
    kid,
  });
  return [
    {
      client_id: 'cc-private-key-jwt',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [jwk('rsa.pub.pem', 'rsa-1'), jwk('ec.pub.pem', 'ec-1')] },
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: 'cc-client-secret-jwt',
      // At least 32 bytes: HS256 keys shorter than the hash are refused.
      client_secret: 'client-secret-jwt-key-0123456789abcdef',
      token_endpoint_auth_method: 'client_secret_jwt',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: 'code-private-key-jwt',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [jwk('rsa.pub.pem', 'rsa-1')] },
      application_type: 'native',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [LOOPBACK_CALLBACK],
    },
  ];
}

const configuration = {
  // no `adapter`: the built-in in-memory adapter
  clients,
  scopes: ['openid', 'offline_access', 'api:read', 'api:write'],
  claims: { openid: ['sub'] },
  async findAccount(_ctx, id) {
    // any login is a valid account; its id is what was typed in the form
    return {
      accountId: id,
      async claims() {
        return { sub: id };
      },
    };
  },
  cookies: {
    keys: ['patchbay-test-only-cookie-signing-key'],
  },
  clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt', 'client_secret_jwt'],
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    revocation: {
      enabled: true,
      allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
    },
    introspection: {
      enabled: true,
      allowedPolicy: async (_ctx, client, token) => (
        client.clientAuthMethod !== 'none' || token.clientId === client.clientId
      ),
    },
    resourceIndicators: {
      enabled: true,
      // no default resource: without `resource` a token is a plain opaque one
      defaultResource: async (_ctx, _client, oneOf) => oneOf,
      // a grant made for the API keeps producing API tokens on refresh
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resourceIndicator) => {
        if (resourceIndicator !== API_RESOURCE) {
          throw new errors.InvalidTarget();
        }
        return {
          audience: API_RESOURCE,
          scope: API_SCOPES,
          accessTokenFormat: 'opaque',
          accessTokenTTL: ACCESS_TOKEN_TTL,
        };
      },
    },
  },
  // PKCE: S256 only (the default); required for public clients (the
  // default), allowed but optional for the confidential one.
  pkce: {
    required: (_ctx, client) => client.clientAuthMethod === 'none',
  },
  // Refresh tokens: oidc-provider's default issues one only when the code
  // carries offline_access, and it drops offline_access from an
  // authorization request that lacks prompt=consent (OIDC Core §11). Like
  // a plain OAuth 2 server, this harness issues a refresh token to every
  // client allowed the refresh_token grant, with or without offline_access.
  // Every refresh rotates the refresh token.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  ttl: {
    AccessToken: ACCESS_TOKEN_TTL,
    ClientCredentials: ACCESS_TOKEN_TTL,
    AuthorizationCode: 60,
    IdToken: 3600,
    RefreshToken: 14 * 24 * 60 * 60,
    Interaction: 60 * 60,
    Session: 24 * 60 * 60,
    Grant: 14 * 24 * 60 * 60,
  },
  clientBasedCORS: () => false,
  renderError(ctx, out) {
    ctx.type = 'json';
    ctx.body = out;
  },
};

// --- device authorization grant (RFC 8628) -------------------------------
configuration.features.deviceFlow = { enabled: true };
configuration.ttl.DeviceCode = DEVICE_CODE_TTL;
// --- end of device authorization grant -----------------------------------

const provider = new Provider(ISSUER, configuration);

// --- device authorization grant (RFC 8628) -------------------------------
if (DEVICE_POLL_INTERVAL !== undefined) {
  provider.on('device_authorization.success', (_ctx, body) => {
    body.interval = DEVICE_POLL_INTERVAL;
  });
}
// DEVICE_CODE_LOG=FILE appends each device code issued to FILE, one a
// line: the sentinel tests look for it in everything patchbay wrote.
if (process.env.DEVICE_CODE_LOG) {
  const { appendFileSync } = await import('node:fs');
  provider.on('device_authorization.success', (_ctx, body) => {
    appendFileSync(process.env.DEVICE_CODE_LOG, `${body.device_code}\n`);
  });
}
// --- end of device authorization grant -----------------------------------

// ---------------------------------------------------------------------------
// Protected resource: /api/me and /api/items, same origin as the provider.

function sendJson(res, status, body, headers = {}) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

function unauthorized(res, description) {
  // error="invalid_token" both for a missing and for a bad token, as the
  // tests expect (RFC 6750 §3.1 would allow omitting it when missing).
  sendJson(res, 401, { error: 'invalid_token', error_description: description }, {
    'www-authenticate': `Bearer realm="patchbay-test-api", error="invalid_token", error_description="${description}"`,
  });
}

// Resolves a bearer token value to { client_id, scope, sub } or undefined.
async function validateBearer(value) {
  const at = await provider.AccessToken.find(value);
  if (at) {
    if (at.isExpired || (at.aud !== undefined && at.aud !== API_RESOURCE)) return undefined;
    if (at.jkt || at['x5t#S256']) return undefined; // sender-constrained: not supported here
    const grant = await provider.Grant.find(at.grantId, { ignoreExpiration: true });
    if (!grant || grant.isExpired || grant.clientId !== at.clientId) return undefined;
    return { client_id: at.clientId, scope: at.scope ?? '', sub: at.accountId ?? null };
  }
  const cc = await provider.ClientCredentials.find(value);
  if (cc) {
    if (cc.isExpired || (cc.aud !== undefined && cc.aud !== API_RESOURCE)) return undefined;
    if (cc.jkt || cc['x5t#S256']) return undefined;
    return { client_id: cc.clientId, scope: cc.scope ?? '', sub: null };
  }
  return undefined;
}

const ITEMS = [1, 2, 3, 4, 5, 6].map((id) => ({ id, name: `item-${id}` }));
const PAGE_SIZE = 2;
const PAGES = Math.ceil(ITEMS.length / PAGE_SIZE);

async function api(req, res, url) {
  if (req.method !== 'GET') {
    sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'GET' });
    return;
  }
  const authz = req.headers.authorization;
  const match = authz && /^Bearer ([^\s]+)$/i.exec(authz);
  if (!match) {
    unauthorized(res, 'missing bearer token');
    return;
  }
  const info = await validateBearer(match[1]);
  if (!info) {
    unauthorized(res, 'invalid or expired token');
    return;
  }
  switch (url.pathname) {
    case '/api/me':
      sendJson(res, 200, info);
      return;
    case '/api/items': {
      const raw = url.searchParams.get('page') ?? '1';
      if (!/^[1-9][0-9]*$/.test(raw)) {
        sendJson(res, 400, { error: 'invalid_page', error_description: 'page must be a positive integer' });
        return;
      }
      const page = Number(raw);
      const items = ITEMS.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
      sendJson(res, 200, { items, next: page < PAGES ? page + 1 : null });
      return;
    }
    default:
      sendJson(res, 404, { error: 'not_found' });
  }
}

// ---------------------------------------------------------------------------
// Strict token_endpoint_auth_method.
//
// oidc-provider treats client_secret_basic and client_secret_post as
// interchangeable: a client registered for one may authenticate with the
// other. To let tests prove that the runtime uses the registered method,
// this harness refuses the other one at the endpoints that authenticate
// clients. The body is read here and handed to oidc-provider as `req.body`
// (its documented fallback for an already-read body).

const CLIENT_AUTH_PATHS = new Set(['/token', '/token/introspection', '/token/revocation', '/request']);
// --- device authorization grant (RFC 8628) -------------------------------
// The device authorization endpoint authenticates clients like /token.
CLIENT_AUTH_PATHS.add('/device/auth');
// --- end of device authorization grant -----------------------------------
const REGISTERED_METHOD = new Map(clients.map((c) => [c.client_id, c.token_endpoint_auth_method]));
const BODY_LIMIT = 56 * 1024;

function formDecode(value) {
  try {
    return decodeURIComponent(value.replace(/\+/g, '%20'));
  } catch {
    return undefined;
  }
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw new Error('request entity too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

// Returns an error body when the client used the secret method it is not
// registered for, undefined otherwise (oidc-provider then does the rest).
function clientAuthMismatch(req, body) {
  let clientId;
  let used;
  const authz = req.headers.authorization;
  const form = new URLSearchParams(body.toString('utf8'));
  if (authz !== undefined) {
    const m = /^Basic (\S+)$/i.exec(authz);
    if (!m) return undefined;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i === -1) return undefined;
    clientId = formDecode(decoded.slice(0, i));
    used = 'client_secret_basic';
  } else if (form.has('client_secret')) {
    clientId = form.get('client_id');
    used = 'client_secret_post';
  } else {
    return undefined;
  }
  const registered = REGISTERED_METHOD.get(clientId);
  const secretMethods = ['client_secret_basic', 'client_secret_post'];
  if (secretMethods.includes(registered) && registered !== used) {
    return {
      error: 'invalid_client',
      error_description: `client authentication failed: client is registered for ${registered}, request used ${used}`,
    };
  }
  return undefined;
}

async function strictClientAuth(req, res) {
  let body;
  try {
    body = await readBody(req);
  } catch {
    sendJson(res, 413, { error: 'invalid_request', error_description: 'request entity too large' });
    return;
  }
  const mismatch = clientAuthMismatch(req, body);
  if (mismatch) {
    const headers = req.headers.authorization !== undefined
      ? { 'www-authenticate': `Basic realm="${ISSUER}", error="invalid_client"` }
      : {};
    sendJson(res, 401, mismatch, headers);
    return;
  }
  req.body = body;
  providerCallback(req, res);
}

// ---------------------------------------------------------------------------

const providerCallback = provider.callback();

handler = (req, res) => {
  if (DEBUG) console.error(`${req.method} ${req.url}`);
  const url = new URL(req.url, ISSUER);
  if (req.method === 'GET' && url.pathname === '/test/grants') {
    sendJson(res, 200, grantCounts);
    return;
  }
  if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
    api(req, res, url).catch((err) => {
      console.error(err);
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
      else res.destroy();
    });
    return;
  }
  if (req.method === 'POST' && CLIENT_AUTH_PATHS.has(url.pathname)
      && /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
    strictClientAuth(req, res).catch((err) => {
      console.error(err);
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
      else res.destroy();
    });
    return;
  }
  providerCallback(req, res);
};

// Successful token requests by grant type, for GET /test/grants.
const grantCounts = {};
provider.on('grant.success', (ctx) => {
  const type = ctx.oidc.params.grant_type;
  grantCounts[type] = (grantCounts[type] ?? 0) + 1;
});

// The newest access token of each grant; with REVOKE_REPLACED_ACCESS_TOKENS
// a newer one revokes it. The in-memory adapter deletes synchronously, so
// the old token is gone before the token response is sent.
const newestAccessToken = new Map();
provider.on('access_token.saved', (token) => {
  if (!REVOKE_REPLACED_ACCESS_TOKENS || token.grantId === undefined) return;
  const replaced = newestAccessToken.get(token.grantId);
  newestAccessToken.set(token.grantId, token.jti);
  if (replaced !== undefined && replaced !== token.jti) {
    provider.AccessToken.adapter.destroy(replaced).catch((err) => console.error(err));
  }
});

provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error:', err));

let stopping = false;
function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.error(`received ${signal}, shutting down`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

process.stdout.write(`listening on ${ISSUER}\n`);
