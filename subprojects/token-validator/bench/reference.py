# SPDX-License-Identifier: GPL-3.0-or-later
"""The same checks written the way AWS's workshop Lambda does them: Python,
PyJWT, a module-level PyJWKClient.  Only for the benchmark's comparison."""

import os
import re

import jwt
from jwt import PyJWKClient

ISSUER = os.environ["SMART_ISSUER"]
CLIENT_IDS = set(filter(None, os.environ.get("SMART_CLIENT_IDS", "").split(",")))
ROLE_ARN = os.environ["HEALTHLAKE_ROLE_ARN"]
JWKS_URL = os.environ.get("SMART_JWKS_URI", ISSUER + "/.well-known/jwks.json")
SCOPE_RE = re.compile(r"^(patient|user|system)/(\*|[A-Z][A-Za-z]+)\."
                      r"(read|write|\*|c?r?u?d?s?)(\?.+)?$")

jwks_client = PyJWKClient(JWKS_URL)


def lambda_handler(event, context=None):
    endpoint = event.get("datastoreEndpoint")
    deny = {"authPayload": {"iss": ISSUER, "aud": endpoint, "isAuthorized": False},
            "iamRoleARN": ROLE_ARN}
    token = event.get("bearerToken") or ""
    if token.startswith("Bearer "):
        token = token[7:]
    try:
        key = jwks_client.get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["RS256"], issuer=ISSUER,
                            leeway=30, options={"verify_aud": False,
                                                "require": ["exp", "iss"]})
    except Exception:
        return deny
    if claims.get("token_use") != "access":
        return deny
    if CLIENT_IDS and claims.get("client_id") not in CLIENT_IDS:
        return deny
    scopes = claims.get("scope", "").split()
    if not any(SCOPE_RE.match(s) for s in scopes):
        return deny
    patient = claims.get("custom:patient")
    if any(s.startswith("patient/") for s in scopes) and not patient:
        return deny
    payload = {"iss": claims["iss"], "aud": endpoint, "iat": claims.get("iat"),
               "nbf": claims.get("nbf", claims.get("iat")), "exp": claims["exp"],
               "isAuthorized": True, "uid": claims.get("username", claims.get("sub")),
               "scope": " ".join(scopes)}
    fhir_user = claims.get("custom:fhirUser")
    if fhir_user:
        payload["fhirUser"] = "/".join(fhir_user.rstrip("/").split("/")[-2:])
    if patient:
        payload["patient"] = patient.split("/")[-1]
    return {"authPayload": payload, "iamRoleARN": ROLE_ARN}
