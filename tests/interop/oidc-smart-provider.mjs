// SPDX-License-Identifier: GPL-3.0-or-later
//
// oidc-provider (an OpenID Provider nobody in this project wrote) dressed up
// as a SMART on FHIR identity provider, for the interop test only:
//
//   - the public native client `smart-viewer` (no secret, PKCE S256
//     required), loopback redirects http://127.0.0.1:<any port>/oauth2redirect
//     (RFC 8252 §7.3: oidc-provider ignores the port for native clients);
//   - SMART scopes (v1 and v2, patient/ and user/) on one resource server:
//     the FHIR base named by the SMART `aud` parameter;
//   - JWT access tokens (RS256, with `kid`) carrying `patient` and `fhirUser`,
//     which is what the token-validator Lambda verifies;
//   - refresh tokens for `offline_access`; `patient` in the token response;
//   - one demo account with a patient from the sandbox's generated
//     population (POPULATION.md): `patient` / `demo` → Patient/patient-001.
//
// Usage: node oidc-smart-provider.mjs --node-modules DIR [--port N]
// DIR is where `npm ci` installed the pinned packages (in the build folder):
// this file stays in the source tree, and ES modules ignore NODE_PATH.
// Prints `oidc-provider ready issuer=<url>` on stdout once it listens on
// 127.0.0.1. It exits on SIGTERM/SIGINT, and when its stdin is closed, so a
// driver that dies never leaves it behind.
//
// Nothing here ever prints a token, code, verifier or key.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const CLIENT_ID = 'smart-viewer';
const TOKEN_LIFETIME = 300;

// The demo account. The password is a demo password, like the sandbox's.
const ACCOUNTS = new Map([
  ['patient', {
    password: 'demo',
    name: 'Zoë Müller',
    fhirUser: 'Patient/patient-001',
    patient: 'patient-001',
  }],
]);

// The resource server accepts every SMART read scope the viewer may ask for,
// in v1 and v2 syntax; anything else is simply not granted.
const RESOURCE_TYPES = ['*', 'Patient', 'Condition', 'MedicationStatement',
  'MedicationRequest', 'Medication', 'Practitioner'];
const SMART_SCOPES = ['launch', 'launch/patient'];
for (const context of ['patient', 'user']) {
  for (const type of RESOURCE_TYPES) {
    for (const access of ['read', 'rs', 'r', 's']) {
      SMART_SCOPES.push(`${context}/${type}.${access}`);
    }
  }
}

const { values: options } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'node-modules': { type: 'string' },
  },
});

async function importProvider(nodeModules) {
  const dir = path.join(nodeModules, 'oidc-provider');
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const module = await import(pathToFileURL(path.join(dir, manifest.main || 'index.js')).href);
  return module.default;
}

if (!options['node-modules']) {
  console.error('oidc-smart-provider: --node-modules DIR is required');
  process.exit(2);
}
const Provider = await importProvider(options['node-modules']);

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// A resource indicator is acceptable when it is an http(s) URL on the
// loopback host: the sandbox's FHIR base, whatever port it got.
function isLoopbackResource(resource) {
  try {
    const url = new URL(resource);
    return (url.protocol === 'http:' || url.protocol === 'https:')
      && (url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]');
  } catch {
    return false;
  }
}

function makeSigningKey() {
  // A fresh key per run: nothing to keep on disk, nothing to leak.
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: crypto.randomUUID(), use: 'sig', alg: 'RS256' };
}

function configuration() {
  return {
    clients: [{
      client_id: CLIENT_ID,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/oauth2redirect'],
      id_token_signed_response_alg: 'RS256',
    }],
    jwks: { keys: [makeSigningKey()] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    // SMART's `aud` (the FHIR base) and `launch` are allowed through; `aud`
    // becomes the resource indicator below.
    extraParams: ['aud', 'launch'],
    scopes: ['openid', 'offline_access', 'fhirUser', 'profile'],
    claims: {
      openid: ['sub'],
      fhirUser: ['fhirUser'],
      profile: ['name'],
    },
    // SMART clients read fhirUser from the id_token, not from userinfo.
    conformIdTokenClaims: false,
    pkce: {
      methods: ['S256'],
      required: () => true,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Clients of a SMART server send `aud`, not RFC 8707 `resource`.
        defaultResource: async (ctx, client, oneOf) => {
          if (oneOf) {
            return oneOf[0];
          }
          return ctx.oidc.params.aud;
        },
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, resource) => {
          if (!isLoopbackResource(resource)) {
            throw new Provider.errors.InvalidTarget('the resource is not a loopback FHIR base');
          }
          return {
            scope: SMART_SCOPES.join(' '),
            audience: resource,
            accessTokenTTL: TOKEN_LIFETIME,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    // The claims the token-validator maps for a generic IdP.
    extraTokenClaims: async (ctx, token) => {
      if (token.kind !== 'AccessToken' || !token.accountId) {
        return undefined;
      }
      const account = ACCOUNTS.get(token.accountId);
      if (!account) {
        return undefined;
      }
      const scopes = new Set((token.scope || '').split(' '));
      const claims = { fhirUser: account.fhirUser };
      if ([...scopes].some((s) => s.startsWith('patient/'))) {
        claims.patient = account.patient;
      }
      return claims;
    },
    findAccount: async (ctx, sub) => {
      const account = ACCOUNTS.get(sub);
      if (!account) {
        return undefined;
      }
      return {
        accountId: sub,
        claims: async () => ({ sub, fhirUser: account.fhirUser, name: account.name }),
      };
    },
    ttl: {
      AccessToken: TOKEN_LIFETIME,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      RefreshToken: 24 * 3600,
    },
    rotateRefreshToken: true,
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><title>Sign-in error</title><h1>Sign-in error</h1>
<p id="error">${escapeHtml(out.error)}: ${escapeHtml(out.error_description || '')}</p>`;
    },
  };
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16384) {
      throw new Error('form too large');
    }
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

// The interaction pages (login, then consent): plain HTML forms, so that a
// test can play the browser with nothing more than an HTTP client.
async function interaction(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session } = details;
  const url = new URL(req.url, 'http://127.0.0.1');

  if (req.method === 'GET' && url.pathname === `/interaction/${uid}`) {
    if (prompt.name === 'login') {
      send(res, 200, page('Sign in', `
<form method="post" action="/interaction/${escapeHtml(uid)}/login" id="login">
<p><label>User name <input name="username" autocomplete="username" required></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Sign in</button></p></form>`));
      return;
    }
    const missing = [
      ...(prompt.details.missingOIDCScope || []),
      ...Object.values(prompt.details.missingResourceScopes || {}).flat(),
    ];
    send(res, 200, page('Allow access', `
<p>${escapeHtml(params.client_id)} asks for: <span id="scopes">${escapeHtml(missing.join(' '))}</span></p>
<form method="post" action="/interaction/${escapeHtml(uid)}/confirm" id="consent">
<p><button type="submit">Allow</button></p></form>`));
    return;
  }

  if (req.method === 'POST' && url.pathname === `/interaction/${uid}/login` && prompt.name === 'login') {
    const form = await readForm(req);
    const username = form.get('username') || '';
    const account = ACCOUNTS.get(username);
    // The comparison is on fixed-length digests, so its time says nothing.
    const given = crypto.createHash('sha256').update(form.get('password') || '').digest();
    const expected = crypto.createHash('sha256').update(account ? account.password : '\0').digest();
    if (!account || !crypto.timingSafeEqual(given, expected)) {
      send(res, 401, page('Sign in', `<p id="error">Wrong user name or password.</p>
<form method="post" action="/interaction/${escapeHtml(uid)}/login" id="login">
<p><label>User name <input name="username" required></label></p>
<p><label>Password <input name="password" type="password" required></label></p>
<p><button type="submit">Sign in</button></p></form>`));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: username } },
      { mergeWithLastSubmission: false });
    return;
  }

  if (req.method === 'POST' && url.pathname === `/interaction/${uid}/confirm` && prompt.name === 'consent') {
    await readForm(req);
    const { details: missing } = prompt;
    let { grantId } = details;
    const grant = grantId
      ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (missing.missingOIDCScope) {
      grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    }
    if (missing.missingOIDCClaims) {
      grant.addOIDCClaims(missing.missingOIDCClaims);
    }
    if (missing.missingResourceScopes) {
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
    }
    grantId = await grant.save();
    const consent = details.grantId ? {} : { grantId };
    await provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
    return;
  }

  send(res, 400, page('Sign-in error', '<p id="error">This step of the sign-in is not expected now.</p>'));
}

function smartAdjustments(provider) {
  provider.use(async (ctx, next) => {
    // SMART asks for refresh tokens with the `offline_access` scope alone.
    // OpenID Connect also wants `prompt=consent`, else oidc-provider drops
    // the scope; a native client gets the consent page every time anyway.
    if (ctx.method === 'GET' && ctx.path === '/auth') {
      const scope = String(ctx.query.scope || '').split(' ');
      const prompt = String(ctx.query.prompt || '').split(' ').filter(Boolean);
      if (scope.includes('offline_access') && !prompt.includes('consent') && !prompt.includes('none')) {
        ctx.query = { ...ctx.query, prompt: [...prompt, 'consent'].join(' ') };
      }
    }

    await next();

    // SMART token responses carry the whole granted scope (the access token
    // itself lists only the resource server's scopes) and the patient
    // context when `launch/patient` was granted.
    if (ctx.oidc?.route === 'token' && ctx.status === 200 && ctx.body?.access_token) {
      const model = ctx.oidc.entities.AuthorizationCode || ctx.oidc.entities.RefreshToken;
      if (model && !ctx.oidc.params.scope) {
        ctx.body.scope = model.scope;
      }
      const account = model && ACCOUNTS.get(model.accountId);
      if (account && model.scopes.has('launch/patient')) {
        ctx.body.patient = account.patient;
      }
    }
  });

  // What the test counts: which grants were used and whether a sign-out
  // revoked anything. Never a token or code.
  provider.on('grant.success', (ctx) => {
    console.error(`oidc-provider: event grant.success grant_type=${ctx.oidc.params.grant_type} client=${ctx.oidc.client?.clientId}`);
  });
  provider.on('grant.revoked', () => {
    console.error('oidc-provider: event grant.revoked');
  });
  provider.on('server_error', (ctx, error) => {
    console.error(`oidc-provider: server error: ${error.message}`);
  });
}

const server = http.createServer();
server.listen(Number(options.port), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, configuration());
  smartAdjustments(provider);
  const callback = provider.callback();

  server.on('request', (req, res) => {
    if (req.url.startsWith('/interaction/')) {
      interaction(provider, req, res).catch((error) => {
        console.error(`oidc-provider: interaction failed: ${error.message}`);
        if (!res.headersSent) {
          send(res, 400, page('Sign-in error', `<p id="error">${escapeHtml(error.message)}</p>`));
        }
      });
      return;
    }
    callback(req, res);
  });

  process.stdout.write(`oidc-provider ready issuer=${issuer}\n`);
});

function stop() {
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The driver holds our stdin open; when it goes away, so do we.
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
