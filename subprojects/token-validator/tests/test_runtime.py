#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The custom-runtime loop against a local Lambda Runtime API emulator:
several invocations, a malformed event, the deadline, key rotation, the IdP
going down after init, and init errors."""

import json
import os
import socket
import subprocess
import sys
import time

from tvtest import (FHIR_BASE, ROLE_ARN, JwksServer, Key, Results, RuntimeApi,
                    base_env, event_for, mint)

EXE = os.path.abspath(sys.argv[1])
R = Results()
NOW = int(time.time())

jwks = JwksServer()
api = RuntimeApi()
k1, k2, k3 = Key("RSA"), Key("RSA"), Key("RSA")
ISS = jwks.url + "/realms/smart"


def claims(**kw):
    c = {"iss": ISS, "sub": "user-1", "azp": "smart-viewer", "typ": "Bearer",
         "aud": "account", "scope": "openid user/*.rs", "iat": NOW, "exp": NOW + 600,
         "fhirUser": "Practitioner/p1"}
    c.update(kw)
    return c


def start(env):
    return subprocess.Popen([EXE], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def stop(proc):
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err.decode(errors="replace")


def allowed(answer):
    kind, body = answer
    return kind == "response" and body["authPayload"]["isAuthorized"] is True


def denied(answer):
    kind, body = answer
    return (kind == "response" and body["authPayload"]["isAuthorized"] is False
            and body["iamRoleARN"] == ROLE_ARN)


jwks.set_keys(k1.jwk())
env = base_env(AWS_LAMBDA_RUNTIME_API=api.address, SMART_ISSUER=ISS,
               SMART_IDP="keycloak", SMART_CLIENT_IDS="smart-viewer")
proc = start(env)
tokens = []
try:
    # Several invocations on one process.
    for i in range(5):
        t = mint(claims(sub="user-%d" % i), k1)
        tokens.append(t)
        ans = api.invoke(event_for(t))
        R.check("invocation %d allowed" % i,
                allowed(ans) and ans[1]["authPayload"]["uid"] == "user-%d" % i
                and ans[1]["authPayload"]["aud"] == FHIR_BASE
                and ans[1]["authPayload"]["fhirUser"] == "Practitioner/p1", str(ans))
    R.check("deny answered through /response",
            denied(api.invoke(event_for(mint(claims(exp=NOW - 3600), k1)))))
    kind, body = api.invoke(b"this is not JSON")
    R.check("malformed event answered through /error",
            kind == "error" and body.get("errorType") == "InvalidEvent", str(body))
    R.check("still serving after the malformed event",
            allowed(api.invoke(event_for(tokens[0]))))
    big = json.dumps(event_for(tokens[0], padding="x" * (6 * 1024 * 1024)))
    kind, body = api.invoke(big)
    R.check("an event over 6 MB fails that invocation only", kind == "error", str(body))
    R.check("still serving after the oversized event",
            allowed(api.invoke(event_for(tokens[0]))))

    # Rotation: the IdP publishes k2; a k2 token triggers one refetch.  First,
    # a deadline already past forbids any network work: no refetch.
    jwks.set_keys(k1.jwk(), k2.jwk())
    hits = jwks.hit_count()
    t2 = mint(claims(), k2)
    R.check("new kid with no time left: denied without a refetch",
            denied(api.invoke(event_for(t2), deadline_ms=int(time.time() * 1000) - 1))
            and jwks.hit_count() == hits, "hits %d" % (jwks.hit_count() - hits))
    R.check("key rotation: new kid picked up", allowed(api.invoke(event_for(t2))))
    R.check("rotation cost exactly one JWKS fetch", jwks.hit_count() == hits + 1,
            "hits %d" % (jwks.hit_count() - hits))
    hits = jwks.hit_count()
    R.check("unknown kid denied", denied(api.invoke(event_for(mint(claims(), k3)))))
    R.check("a second unknown kid within 60 s: no refetch",
            denied(api.invoke(event_for(mint(claims(), Key("RSA"))))) and
            jwks.hit_count() == hits, "hits %d" % (jwks.hit_count() - hits))

    # The IdP goes away: cached keys keep working.
    jwks.stop()
    R.check("IdP down after init: k1 still allowed", allowed(api.invoke(event_for(tokens[1]))))
    R.check("IdP down after init: k2 still allowed", allowed(api.invoke(event_for(t2))))
finally:
    log = stop(proc)

lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
inv = [line for line in lines if "decision" in line]
R.check("one log line per invocation", len(inv) == 15, "got %d" % len(inv))
R.check("log lines carry request id, decision, reason, kid, latency",
        all(line.get("requestId") and line.get("reason") and "latencyUs" in line
            for line in inv) and inv[0]["kid"] == k1.kid
        and inv[0]["clientId"] == "smart-viewer", str(inv[:1]))
R.check("no token part in the log",
        not any(p in log for t in tokens + [t2] for p in t.split(".")[1:]))

# TTL refresh: a key the IdP withdrew stops working once the TTL has passed;
# when the refresh fails (IdP down), the cached keys keep working.
jwks2 = JwksServer()
jwks2.set_keys(k1.jwk(), k2.jwk())
ISS2 = jwks2.url + "/realms/smart"
api4 = RuntimeApi()
proc = start(base_env(AWS_LAMBDA_RUNTIME_API=api4.address, SMART_ISSUER=ISS2,
                      SMART_IDP="keycloak", SMART_JWKS_TTL_SECONDS="1"))
try:
    old = mint(claims(iss=ISS2), k1)
    new = mint(claims(iss=ISS2), k2)
    R.check("TTL: k1 allowed before the rotation", allowed(api4.invoke(event_for(old))))
    jwks2.set_keys(k2.jwk())
    hits = jwks2.hit_count()
    time.sleep(1.3)
    R.check("TTL: withdrawn k1 denied after the TTL", denied(api4.invoke(event_for(old))))
    R.check("TTL: the refresh happened", jwks2.hit_count() > hits)
    jwks2.stop()
    time.sleep(1.3)
    R.check("TTL: refresh fails (IdP down), cached k2 still allowed",
            allowed(api4.invoke(event_for(new))))
finally:
    log4 = stop(proc)
    api4.stop()
R.check("TTL: the failed refresh was logged", "JWKS refresh failed" in log4)

# JWKS unreachable at init: init/error and exit.
s = socket.socket()
s.bind(("127.0.0.1", 0))
dead_port = s.getsockname()[1]
s.close()
api2 = RuntimeApi()
proc = start(base_env(AWS_LAMBDA_RUNTIME_API=api2.address, SMART_ISSUER=ISS,
                      SMART_IDP="keycloak",
                      SMART_JWKS_URI="http://127.0.0.1:%d/certs" % dead_port))
try:
    rc = proc.wait(timeout=20)
except subprocess.TimeoutExpired:
    rc = None
stop(proc)
R.check("JWKS down at init: init/error posted",
        api2.init_error_event.is_set()
        and api2.init_error.get("errorType") == "Runtime.JwksUnavailable",
        str(api2.init_error))
R.check("JWKS down at init: process exits non-zero", rc not in (None, 0), "rc=%s" % rc)

# Configuration error at init: init/error too.
api3 = RuntimeApi()
proc = start(base_env(AWS_LAMBDA_RUNTIME_API=api3.address, SMART_IDP="keycloak"))
try:
    rc = proc.wait(timeout=20)
except subprocess.TimeoutExpired:
    rc = None
stop(proc)
R.check("missing SMART_ISSUER: init/error posted, exit 2",
        api3.init_error_event.is_set() and rc == 2, "rc=%s %s" % (rc, api3.init_error))

for a in (api, api2, api3):
    a.stop()
sys.exit(R.finish())
