#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every decision rule of issue 3 through `token-validator --event -`, with
keys generated here and a JWKS served on 127.0.0.1."""

import json
import os
import subprocess
import sys
import time

from tvtest import (FHIR_BASE, ROLE_ARN, IntrospectionServer, JwksServer, Key,
                    Results, SecretsManagerServer, TrapListener, b64u, base_env,
                    event_for, mint, run_event)

EXE = os.path.abspath(sys.argv[1])
R = Results()
NOW = int(time.time())

jwks = JwksServer()
trap = TrapListener()
rsa_key = Key("RSA")
other_rsa = Key("RSA")          # a second published key (rotation overlap)
attacker = Key("RSA")           # never published
ec_key = Key("P-256")

COGNITO_ISS = jwks.url + "/us-east-1_Test01"
KEYCLOAK_ISS = jwks.url + "/realms/smart"
GENERIC_ISS = jwks.url + "/generic"
CLIENT = "5vq3example0client"

cognito_env = base_env(SMART_ISSUER=COGNITO_ISS, SMART_IDP="cognito",
                       SMART_CLIENT_IDS="other-client, " + CLIENT)
keycloak_env = base_env(SMART_ISSUER=KEYCLOAK_ISS, SMART_IDP="keycloak",
                        SMART_CLIENT_IDS="smart-viewer", SMART_AUDIENCE=FHIR_BASE)


def cognito_claims(**kw):
    c = {"sub": "8c2e1a7e-0000-4000-8000-000000000001",
         "username": "dr.house", "iss": COGNITO_ISS, "client_id": CLIENT,
         "origin_jti": "x", "event_id": "y", "token_use": "access",
         "scope": "launch/patient patient/*.read openid fhirUser",
         "auth_time": NOW - 60, "iat": NOW - 60, "exp": NOW + 3600,
         "jti": "j1", "version": 2,
         "custom:patient": "456",
         "custom:fhirUser": "https://fhir.example.org/r4/Practitioner/123"}
    for k, v in kw.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def keycloak_claims(**kw):
    c = {"exp": NOW + 300, "iat": NOW - 5, "jti": "k1", "iss": KEYCLOAK_ISS,
         "aud": ["account", FHIR_BASE], "sub": "f3c0-kc-user", "typ": "Bearer",
         "azp": "smart-viewer", "session_state": "s",
         "scope": "openid fhirUser launch/patient patient/Patient.rs "
                  "patient/Observation.rs?category=laboratory",
         "patient_id": "Patient/789", "fhirUser": "Patient/789"}
    for k, v in kw.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def reason_of(logs):
    for line in logs:
        if "decision" in line:
            return line.get("reason"), line.get("decision")
    return None, None


def expect_allow(name, env, token, payload=None, event=None):
    ev = event if event is not None else event_for(token)
    rc, out, logs, err = run_event(EXE, env, ev)
    ok = (rc == 0 and out is not None and out["authPayload"]["isAuthorized"] is True
          and out["iamRoleARN"] == ROLE_ARN)
    if ok and payload is not None:
        ok = out["authPayload"] == payload
    R.check("allow: " + name, ok, "rc=%s out=%s log=%s" % (rc, out, logs))
    check_no_secret_in_log(name, token, err)
    return out


def expect_deny(name, env, token, reason=None, event=None):
    ev = event if event is not None else event_for(token)
    rc, out, logs, err = run_event(EXE, env, ev)
    ap = (out or {}).get("authPayload", {})
    got_reason, decision = reason_of(logs)
    ok = (rc == 0 and ap.get("isAuthorized") is False
          and out.get("iamRoleARN") == ROLE_ARN
          and not any(k in ap for k in ("uid", "scope", "patient", "fhirUser"))
          and decision in ("deny", "error"))
    if reason is not None:
        ok = ok and got_reason == reason
    R.check("deny: %s (%s)" % (name, got_reason), ok,
            "rc=%s out=%s reason=%s want=%s" % (rc, out, got_reason, reason))
    if isinstance(token, str):
        check_no_secret_in_log(name, token, err)


def check_no_secret_in_log(name, token, stderr):
    if not isinstance(token, str):
        return
    parts = [p for p in token.replace("Bearer ", "").split(".") if len(p) > 16]
    leaked = [p for p in parts if p in stderr]
    if leaked:
        R.check("no token part in the log: " + name, False, stderr[:200])


jwks.set_keys(rsa_key.jwk(), other_rsa.jwk(), ec_key.jwk())

# --- allowed, exact authPayload -------------------------------------------
tok = mint(cognito_claims(), rsa_key)
expect_allow("cognito access token", cognito_env, tok, {
    "iss": COGNITO_ISS, "aud": FHIR_BASE, "iat": NOW - 60, "nbf": NOW - 60,
    "exp": NOW + 3600, "isAuthorized": True, "uid": "dr.house",
    "scope": "launch/patient patient/*.read openid fhirUser",
    "fhirUser": "Practitioner/123", "patient": "456"})
expect_allow("'Bearer '-prefixed token", cognito_env, "Bearer " + tok)
expect_allow("exp inside the leeway", cognito_env,
             mint(cognito_claims(exp=NOW - 10), rsa_key))
expect_allow("user/ scope needs no patient claim", cognito_env,
             mint(cognito_claims(scope="user/Patient.rs openid",
                                 **{"custom:patient": None}), rsa_key))

tok = mint(keycloak_claims(nbf=NOW - 30), rsa_key, header={"typ": "JWT"})
expect_allow("keycloak access token", keycloak_env, tok, {
    "iss": KEYCLOAK_ISS, "aud": FHIR_BASE, "iat": NOW - 5, "nbf": NOW - 30,
    "exp": NOW + 300, "isAuthorized": True, "uid": "f3c0-kc-user",
    "scope": "openid fhirUser launch/patient patient/Patient.rs "
             "patient/Observation.rs?category=laboratory",
    "fhirUser": "Patient/789", "patient": "789"})

generic_env = base_env(SMART_ISSUER=GENERIC_ISS, SMART_ALLOWED_ALGS="ES256,RS256")
tok = mint({"iss": GENERIC_ISS, "sub": "u1", "exp": NOW + 60, "iat": NOW,
            "scp": ["system/Observation.rs", "system/Patient.read"]},
           ec_key, alg="ES256", header={"typ": "at+jwt"})
expect_allow("generic IdP, OpenID discovery, ES256, scp array", generic_env, tok, {
    "iss": GENERIC_ISS, "aud": FHIR_BASE, "iat": NOW, "nbf": NOW, "exp": NOW + 60,
    "isAuthorized": True, "uid": "u1",
    "scope": "system/Observation.rs system/Patient.read"})

# --- algorithm attacks ---------------------------------------------------
claims = cognito_claims()
expect_deny("alg none", cognito_env, mint(claims, rsa_key, alg="none"), "alg_not_allowed")
expect_deny("alg None (with a signature)", cognito_env,
            mint(claims, rsa_key, alg="None") + "c2lnbmF0dXJl", "alg_not_allowed")
expect_deny("alg none, no kid", cognito_env, mint(claims, alg="none"), "alg_not_allowed")
pem = rsa_key.public_pem()
expect_deny("HS256 signed with the PEM public key", cognito_env,
            mint(claims, rsa_key, alg="HS256", secret=pem), "alg_not_allowed")
expect_deny("HS256 signed with the PEM public key, no trailing newline", cognito_env,
            mint(claims, rsa_key, alg="HS256", secret=pem.rstrip(b"\n")),
            "alg_not_allowed")
rc, _, _, _ = run_event(EXE, base_env(SMART_ISSUER=COGNITO_ISS, SMART_IDP="cognito",
                                      SMART_ALLOWED_ALGS="RS256,HS256"),
                        event_for(tok))
R.check("HS256 cannot even be configured (exit 2)", rc == 2, "rc=%s" % rc)
ps = mint(claims, rsa_key, alg="PS256")
expect_deny("PS256 with the same key when not allowed", cognito_env, ps, "alg_not_allowed")
expect_allow("PS256 when allowed", base_env(SMART_ISSUER=COGNITO_ISS, SMART_IDP="cognito",
                                            SMART_ALLOWED_ALGS="RS256,PS256"), ps)
expect_deny("ES256 token against an RSA kid", generic_env,
            mint({"iss": GENERIC_ISS, "exp": NOW + 60, "scope": "user/*.rs"},
                 ec_key, alg="ES256", kid=rsa_key.kid), "alg_key_mismatch")

# --- key selection -------------------------------------------------------
before = jwks.hit_count()
expect_deny("unknown kid", cognito_env, mint(claims, attacker), "unknown_kid")
R.check("unknown kid refetched the JWKS once", jwks.hit_count() - before == 2,
        "hits=%d" % (jwks.hit_count() - before))
expect_deny("no kid with several keys", cognito_env, mint(claims, rsa_key, kid=False),
            "no_kid")
expect_deny("signed by another key under a published kid", cognito_env,
            mint(claims, attacker, kid=rsa_key.kid), "bad_signature")
expect_deny("embedded jwk (attacker key, published kid)", cognito_env,
            mint(claims, attacker, kid=rsa_key.kid, header={"jwk": attacker.jwk()}),
            "bad_signature")
expect_deny("embedded jwk (attacker key, attacker kid)", cognito_env,
            mint(claims, attacker, header={"jwk": attacker.jwk()}), "unknown_kid")
for field in ("jku", "x5u"):
    expect_deny(field + " pointing at a local listener", cognito_env,
                mint(claims, attacker, header={field: trap.url}))
expect_deny("x5c header", cognito_env,
            mint(claims, attacker, kid=rsa_key.kid, header={"x5c": ["MIIB"]}),
            "bad_signature")
time.sleep(0.3)
R.check("jku/x5u listener received nothing", trap.connections == 0,
        "connections=%d" % trap.connections)

# With a single published key, a token without kid is unambiguous.
single = JwksServer()
single.set_keys(rsa_key.jwk())
single_iss = single.url + "/us-east-1_Single"
expect_allow("no kid with exactly one key", base_env(SMART_ISSUER=single_iss,
                                                     SMART_IDP="cognito"),
             mint(cognito_claims(iss=single_iss), rsa_key, kid=False))
single.stop()

# --- signature and encoding ---------------------------------------------
h, p, s = mint(claims, rsa_key).split(".")
tampered = b64u(json.dumps(cognito_claims(scope="user/*.cruds")))
expect_deny("tampered payload", cognito_env, h + "." + tampered + "." + s, "bad_signature")
expect_deny("two segments", cognito_env, h + "." + p, "malformed_token")
expect_deny("four segments", cognito_env, h + "." + p + "." + s + "." + s, "malformed_token")
expect_deny("bad base64", cognito_env, h + "." + p[:10] + "*$" + p[12:] + "." + s, "bad_base64")
expect_deny("non-JSON payload", cognito_env,
            mint(None, rsa_key, raw_payload="this is not json"), "bad_payload")
expect_deny("non-JSON header", cognito_env, b64u("nope") + "." + p + "." + s, "bad_header")
expect_deny("a 1 MB token", cognito_env, "A" * (1 << 20) + "." + p + "." + s,
            "token_too_large")
expect_deny("empty token", cognito_env, "", "empty_token")
expect_deny("'Bearer ' and nothing else", cognito_env, "Bearer   ", "empty_token")

# --- claims ---------------------------------------------------------------
expect_deny("expired", cognito_env, mint(cognito_claims(exp=NOW - 3600), rsa_key), "expired")
expect_deny("nbf in the future", cognito_env,
            mint(cognito_claims(nbf=NOW + 3600), rsa_key), "not_yet_valid")
expect_deny("iat in the future", cognito_env,
            mint(cognito_claims(iat=NOW + 3600), rsa_key), "iat_in_future")
expect_deny("no exp", cognito_env, mint(cognito_claims(exp=None), rsa_key), "no_exp")
expect_deny("exp as a string", cognito_env,
            mint(cognito_claims(exp=str(NOW + 3600)), rsa_key), "bad_exp")
expect_deny("wrong iss", cognito_env,
            mint(cognito_claims(iss=COGNITO_ISS + "x"), rsa_key), "bad_iss")
expect_deny("wrong client", cognito_env,
            mint(cognito_claims(client_id="evil-client"), rsa_key), "bad_client")
expect_deny("cognito id token (token_use: id)", cognito_env,
            mint(cognito_claims(token_use="id", aud=CLIENT, client_id=None), rsa_key),
            "not_access_token")
expect_deny("no SMART scope", cognito_env,
            mint(cognito_claims(scope="openid profile launch/patient fhirUser"), rsa_key),
            "no_smart_scope")
expect_deny("malformed resource scope only", cognito_env,
            mint(cognito_claims(scope="patient/*.rx user/observation.read"), rsa_key),
            "no_smart_scope")
expect_deny("patient scope without patient claim", cognito_env,
            mint(cognito_claims(**{"custom:patient": None}), rsa_key), "no_patient_claim")
expect_deny("patient claim naming another type", cognito_env,
            mint(cognito_claims(**{"custom:patient": "Practitioner/1"}), rsa_key),
            "bad_patient_claim")
expect_deny("keycloak id token (typ ID)", keycloak_env,
            mint(keycloak_claims(typ="ID"), rsa_key), "not_access_token")
expect_deny("keycloak token without the FHIR audience", keycloak_env,
            mint(keycloak_claims(aud="account"), rsa_key), "bad_aud")
expect_deny("keycloak token for another client", keycloak_env,
            mint(keycloak_claims(azp="other", aud=[FHIR_BASE]), rsa_key), "bad_client")

# --- events ---------------------------------------------------------------
good = mint(cognito_claims(), rsa_key)
ev = event_for(good)
del ev["bearerToken"]
expect_deny("event without bearerToken", cognito_env, None, "no_token", event=ev)
ev = event_for(good)
del ev["datastoreEndpoint"]
expect_deny("event without datastoreEndpoint", cognito_env, None,
            "no_datastore_endpoint", event=ev)
expect_deny("bearerToken not a string", cognito_env, None, "no_token",
            event=event_for(12345))
expect_deny("non-JSON event", cognito_env, None, "malformed_event", event=b"{not json")
expect_deny("JSON array event", cognito_env, None, "malformed_event", event=b"[1,2]")
expect_allow("event with only the documented fields", cognito_env, good,
             event={"datastoreEndpoint": FHIR_BASE, "operationName": "ReadResource",
                    "bearerToken": good})

# --- CLI ------------------------------------------------------------------
rc, _, _, _ = run_event(EXE, base_env(SMART_IDP="cognito"), event_for(good))
R.check("missing SMART_ISSUER is a configuration error (exit 2)", rc == 2, "rc=%s" % rc)
rc, _, _, _ = run_event(EXE, base_env(SMART_ISSUER="http://idp.example.org/x",
                                      SMART_IDP="cognito"), event_for(good))
R.check("plain http to a non-loopback host is refused (exit 2)", rc == 2, "rc=%s" % rc)

def cli(*args, env=None):
    p = subprocess.run([EXE] + list(args), env=env or base_env(), capture_output=True,
                       text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


rc, out, _ = cli("--version")
R.check("--version", rc == 0 and out.startswith("token-validator "), out)
rc, out, _ = cli("--help")
R.check("--help lists every variable", rc == 0 and "SMART_INTROSPECTION_CLIENT_SECRET" in out
        and "HEALTHLAKE_ROLE_ARN" in out)
R.check("unknown option: exit 2", cli("--bogus")[0] == 2)
R.check("no option and no AWS_LAMBDA_RUNTIME_API: exit 2", cli()[0] == 2)
R.check("--event with a missing file: exit 2",
        cli("--event", "/nonexistent/event.json", env=cognito_env)[0] == 2)
rc, out, _ = cli("--check-config", env=cognito_env)
R.check("--check-config fetches the JWKS (exit 0)", rc == 0 and rsa_key.kid in out, out)
rc, out, _ = cli("--check-config", env=base_env(SMART_ISSUER=COGNITO_ISS, SMART_IDP="cognito",
                                                SMART_JWKS_URI="http://127.0.0.1:1/jwks"))
R.check("--check-config with the JWKS unreachable: exit 1", rc == 1, out)

# --- RFC 7662 introspection ------------------------------------------------
intro = IntrospectionServer()
SECRET = "s3cr3t-intro-value"
intro_env = base_env(SMART_ISSUER=KEYCLOAK_ISS, SMART_IDP="keycloak",
                     SMART_INTROSPECTION_URL=intro.url,
                     SMART_INTROSPECTION_CLIENT_ID="validator",
                     SMART_INTROSPECTION_CLIENT_SECRET=SECRET)
active = mint(keycloak_claims(), rsa_key)
revoked = mint(keycloak_claims(sub="someone-else"), rsa_key)
intro.answers[active] = {"active": True}
expect_allow("JWT reported active by introspection", intro_env, active)
expect_deny("JWT reported inactive (revoked)", intro_env, revoked, "token_inactive")
opaque = "opaque-" + "x" * 40
intro.answers[opaque] = dict(keycloak_claims(), active=True)
expect_allow("opaque token through introspection", intro_env, opaque, {
    "iss": KEYCLOAK_ISS, "aud": FHIR_BASE, "iat": NOW - 5, "nbf": NOW - 5,
    "exp": NOW + 300, "isAuthorized": True, "uid": "f3c0-kc-user",
    "scope": "openid fhirUser launch/patient patient/Patient.rs "
             "patient/Observation.rs?category=laboratory",
    "fhirUser": "Patient/789", "patient": "789"})
expect_deny("opaque token without introspection", keycloak_env, opaque, "malformed_token")
import base64
R.check("introspection used HTTP basic auth",
        intro.auth and all(a == "Basic " + base64.b64encode(
            ("validator:" + SECRET).encode()).decode() for a in intro.auth), str(intro.auth))
p = subprocess.run([EXE, "--check-config"], env=intro_env, capture_output=True, text=True,
                   timeout=30)
R.check("--check-config shows the configuration, not the secret",
        p.returncode == 0 and SECRET not in p.stdout + p.stderr
        and '"SMART_INTROSPECTION_CLIENT_SECRET": "(set)"' in p.stdout
        and "usable keys" in p.stdout, p.stdout + p.stderr)
# The secret as a Secrets Manager ARN, read once at init with SigV4.
ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:smart-intro-AbCdEf"
AKID, SKEY, STOKEN = "ASIATESTKEYID", "test/secret+access-key", "session-token-value"
sm = SecretsManagerServer(AKID, SKEY, json.dumps({"client_secret": SECRET}))
sm_env = dict(intro_env, SMART_INTROSPECTION_CLIENT_SECRET=ARN,
              AWS_ENDPOINT_URL_SECRETS_MANAGER=sm.url, AWS_ACCESS_KEY_ID=AKID,
              AWS_SECRET_ACCESS_KEY=SKEY, AWS_SESSION_TOKEN=STOKEN)
intro.auth.clear()
expect_allow("introspection secret read from Secrets Manager", sm_env, active)
R.check("GetSecretValue signed with SigV4 and asked for the ARN",
        sm.bad_signatures == 0 and sm.requests == [{"SecretId": ARN}], str(sm.requests))
R.check("the secret from Secrets Manager was used for introspection",
        intro.auth == ["Basic " + base64.b64encode(("validator:" + SECRET).encode()).decode()],
        str(intro.auth))
rc, _, _, err = run_event(EXE, dict(sm_env, AWS_SECRET_ACCESS_KEY="wrong"), event_for(active))
R.check("a secret that cannot be read is a configuration error (exit 2)",
        rc == 2 and sm.bad_signatures == 1 and "wrong" not in err and ARN in
        "".join(str(r) for r in sm.requests), "rc=%s %s" % (rc, err))
rc, _, _, _ = run_event(EXE, dict(intro_env, SMART_INTROSPECTION_CLIENT_SECRET=ARN),
                        event_for(active))
R.check("an ARN without AWS credentials: exit 2, never sent as a password",
        rc == 2 and len(intro.auth) == 1)
sm.stop()
intro.stop()

jwks.stop()
trap.stop()
sys.exit(R.finish())
