#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parses the CloudFormation templates and the Keycloak realm offline and
checks them against the code: environment variable names (from
`token-validator --help`), the validator's runtime, the HealthLake
Metadata, PKCE S256 and the app's redirect URIs."""

import json
import os
import re
import subprocess
import sys

from tvtest import SKIP, Results

try:
    import yaml
except ImportError:
    print("SKIP: python3-yaml is not installed")
    sys.exit(SKIP)

EXE, DEPLOY = os.path.abspath(sys.argv[1]), sys.argv[2]
R = Results()
REDIRECTS = {"io.github.smartviewer.smartviewer:/oauth2redirect",
             "http://127.0.0.1/oauth2redirect"}
SCOPE_RE = re.compile(r"^(patient|user|system)/(\*|[A-Z][A-Za-z]+)\."
                      r"(read|write|\*|c?r?u?d?s?)$")


class CfnLoader(yaml.SafeLoader):
    """Accepts CloudFormation's short-form tags as their long forms."""


def _construct(loader, tag_suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Fn::" + tag_suffix: value}


CfnLoader.add_multi_constructor("!", _construct)


def load(name):
    with open(os.path.join(DEPLOY, name)) as f:
        return yaml.load(f, Loader=CfnLoader)


def of_type(tpl, rtype):
    return {k: v for k, v in tpl["Resources"].items() if v["Type"] == rtype}


def refs(value):
    """Every resource name a value refers to (Ref, GetAtt, ${Name} in Sub)."""
    out = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "Ref" and isinstance(v, str):
                out.add(v)
            elif k == "Fn::GetAtt":
                out.add(v[0])
            elif k == "Fn::Sub":
                text = v if isinstance(v, str) else v[0]
                out.update(m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text))
                out |= refs(v)
            else:
                out |= refs(v)
    elif isinstance(value, list):
        for v in value:
            out |= refs(v)
    return out


def sub_text(value):
    """The template text of a Fn::Sub, placeholders replaced by dummies."""
    text = value["Fn::Sub"]
    if isinstance(text, list):
        text = text[0]
    return re.sub(r"\$\{[^}]+\}", "x", text)


help_text = subprocess.run([EXE, "--help"], capture_output=True, text=True).stdout
CODE_ENV = set(re.findall(r"^  ((?:SMART|HEALTHLAKE)_[A-Z_]+)$", help_text, re.M))
R.check("the code lists its environment variables", "SMART_ISSUER" in CODE_ENV
        and "HEALTHLAKE_ROLE_ARN" in CODE_ENV and len(CODE_ENV) == 14, str(CODE_ENV))


def check_common(name, tpl, idp):
    res = tpl["Resources"]
    fns = {k: v for k, v in of_type(tpl, "AWS::Lambda::Function").items()
           if v["Properties"].get("Handler") == "bootstrap"}
    R.check(name + ": one validator function", len(fns) == 1)
    vname, fn = next(iter(fns.items()))
    props = fn["Properties"]
    R.check(name + ": provided.al2023 custom runtime, x86_64 zip",
            props["Runtime"] == "provided.al2023" and props["Architectures"] == ["x86_64"]
            and "token-validator-lambda-x86_64.zip" in json.dumps(tpl["Parameters"]))
    env = props["Environment"]["Variables"]
    unknown = set(env) - CODE_ENV
    R.check(name + ": every variable is one the code reads", not unknown, str(unknown))
    R.check(name + ": required variables set",
            {"SMART_ISSUER", "HEALTHLAKE_ROLE_ARN", "SMART_IDP"} <= set(env))
    R.check(name + ": SMART_IDP is " + idp, env["SMART_IDP"] == idp)
    role = refs(env["HEALTHLAKE_ROLE_ARN"])
    trust = json.dumps(res[next(iter(role))]["Properties"]["AssumeRolePolicyDocument"])
    R.check(name + ": iamRoleARN role trusts healthlake.amazonaws.com",
            len(role) == 1 and "healthlake.amazonaws.com" in trust)
    for k in ("SMART_ALLOWED_ALGS", "SMART_LEEWAY_SECONDS", "SMART_JWKS_TTL_SECONDS"):
        if k in env:
            rc = subprocess.run([EXE, "--check-config"], capture_output=True, env={
                "SMART_ISSUER": "https://idp.invalid/x", "HEALTHLAKE_ROLE_ARN": "arn:x",
                "SMART_IDP": idp, "SMART_JWKS_URI": "http://127.0.0.1:9/none", k: env[k]},
                timeout=30).returncode
            R.check("%s: %s=%s accepted by the code" % (name, k, env[k]), rc != 2)

    aliases = of_type(tpl, "AWS::Lambda::Alias")
    alias_name = next(iter(aliases))
    R.check(name + ": alias with provisioned concurrency",
            vname in refs(aliases[alias_name]["Properties"]["FunctionName"])
            and "ProvisionedConcurrencyConfig" in aliases[alias_name]["Properties"])
    perms = [p["Properties"] for p in of_type(tpl, "AWS::Lambda::Permission").values()
             if p["Properties"]["Principal"] == "healthlake.amazonaws.com"]
    R.check(name + ": HealthLake may invoke the validator alias",
            len(perms) == 1 and perms[0]["Action"] == "lambda:InvokeFunction"
            and alias_name in refs(perms[0]["FunctionName"]))

    stores = of_type(tpl, "AWS::HealthLake::FHIRDatastore")
    R.check(name + ": one data store", len(stores) == 1)
    ds = next(iter(stores.values()))["Properties"]
    idpc = ds["IdentityProviderConfiguration"]
    R.check(name + ": SMART_ON_FHIR with fine-grained authorization",
            idpc["AuthorizationStrategy"] == "SMART_ON_FHIR"
            and idpc["FineGrainedAuthorizationEnabled"] is True
            and ds["DatastoreTypeVersion"] == "R4")
    R.check(name + ": IdpLambdaArn is the validator alias", refs(idpc["IdpLambdaArn"]) == {alias_name})
    meta = json.loads(sub_text(idpc["Metadata"]))
    required = {"authorization_endpoint", "token_endpoint", "capabilities",
                "grant_types_supported", "code_challenge_methods_supported"}
    R.check(name + ": Metadata has the fields HealthLake requires",
            required <= set(meta), str(set(meta)))
    R.check(name + ": Metadata offers S256 and only S256",
            meta["code_challenge_methods_supported"] == ["S256"])
    R.check(name + ": Metadata capabilities allow v2 scopes and public clients",
            {"permission-v2", "client-public", "launch-standalone"} <= set(meta["capabilities"]))
    R.check(name + ": authorization code grant",
            "authorization_code" in meta["grant_types_supported"])
    bad = [s for s in meta.get("scopes_supported", []) if "/" in s
           and not s.startswith("launch/") and not SCOPE_RE.match(s)]
    R.check(name + ": advertised resource scopes are SMART scopes", not bad, str(bad))
    return env, meta


# --- Cognito ---------------------------------------------------------------
tpl = load("healthlake-cognito.yaml")
env, meta = check_common("cognito", tpl, "cognito")
res = tpl["Resources"]
servers = {v["Properties"]["Identifier"]: [s["ScopeName"] for s in v["Properties"]["Scopes"]]
           for v in of_type(tpl, "AWS::Cognito::UserPoolResourceServer").values()}
R.check("cognito: resource servers launch, patient, user, system",
        set(servers) == {"launch", "patient", "user", "system"})
bad = [ident + "/" + s for ident, names in servers.items() if ident != "launch"
       for s in names if not SCOPE_RE.match(ident + "/" + s)]
R.check("cognito: resource server scopes are SMART scopes", not bad, str(bad))
clients = of_type(tpl, "AWS::Cognito::UserPoolClient")
client_name, client = next(iter(clients.items()))
cp = client["Properties"]
R.check("cognito: public client, code flow only",
        cp["GenerateSecret"] is False and cp["AllowedOAuthFlows"] == ["code"])
known = {"openid", "profile", "email", "phone"} | {i + "/" + s for i, n in servers.items() for s in n}
R.check("cognito: client scopes exist", set(cp["AllowedOAuthScopes"]) <= known,
        str(set(cp["AllowedOAuthScopes"]) - known))
R.check("cognito: client has SMART resource scopes and launch/patient",
        "launch/patient" in cp["AllowedOAuthScopes"]
        and any(SCOPE_RE.match(s) for s in cp["AllowedOAuthScopes"]))
cb = cp["CallbackURLs"]
cb_values = set(tpl["Parameters"][cb["Ref"]]["Default"].split(",")) if "Ref" in cb else set(cb)
R.check("cognito: the app's redirect URIs", REDIRECTS <= cb_values, str(cb_values))
R.check("cognito: validator accepts exactly this app client",
        refs(env["SMART_CLIENT_IDS"]) == {client_name})
pool = next(iter(of_type(tpl, "AWS::Cognito::UserPool").values()))["Properties"]
ptg = pool["LambdaConfig"]["PreTokenGenerationConfig"]
trigger = res[next(iter(refs(ptg["LambdaArn"])))]["Properties"]["Code"]["ZipFile"]
R.check("cognito: V2_0 pre-token trigger adds custom:patient and custom:fhirUser",
        ptg["LambdaVersion"] == "V2_0" and "custom:patient" in trigger
        and "custom:fhirUser" in trigger and "accessTokenGeneration" in trigger)
compile(trigger, "pre-token-trigger", "exec")
attrs = {a["Name"] for a in pool["Schema"]}
R.check("cognito: user pool has the patient and fhirUser attributes",
        {"patient", "fhirUser"} <= attrs)
R.check("cognito: issuer shape", "cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"
        in env["SMART_ISSUER"]["Fn::Sub"])
R.check("cognito: Cognito domain exists", len(of_type(tpl, "AWS::Cognito::UserPoolDomain")) == 1)

# --- Keycloak ---------------------------------------------------------------
tpl = load("healthlake-keycloak.yaml")
env, meta = check_common("keycloak", tpl, "keycloak")
svc = next(iter(of_type(tpl, "AWS::AppRunner::Service").values()))["Properties"]
img = svc["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
kc_env = {}
for item in img["RuntimeEnvironmentVariables"]:
    for branch in (item["Fn::If"][1:] if "Fn::If" in item else [item]):
        kc_env[branch["Name"]] = branch["Value"]
R.check("keycloak: App Runner behind TLS: KC_HTTP_ENABLED, KC_PROXY_HEADERS, hostname, port 8080",
        kc_env.get("KC_HTTP_ENABLED") == "true" and kc_env.get("KC_PROXY_HEADERS") == "xforwarded"
        and "KC_HOSTNAME" in kc_env and img["Port"] == "8080", str(kc_env))
R.check("keycloak: no plain-text admin password",
        "KC_BOOTSTRAP_ADMIN_PASSWORD" not in kc_env
        and any(s["Name"] == "KC_BOOTSTRAP_ADMIN_PASSWORD" for s in img["RuntimeEnvironmentSecrets"]))
realm = json.load(open(os.path.join(DEPLOY, "keycloak-realm-smart.json")))
params = tpl["Parameters"]
R.check("keycloak: realm name matches the issuer path",
        realm["realm"] == params["RealmName"]["Default"]
        and "/realms/${RealmName}" in json.dumps(env["SMART_ISSUER"]))
client = [c for c in realm["clients"] if c["clientId"] == params["ClientId"]["Default"]]
R.check("keycloak: the validator's client exists in the realm", len(client) == 1)
client = client[0]
R.check("keycloak: public client, code flow, PKCE S256 required",
        client["publicClient"] is True and client["standardFlowEnabled"] is True
        and client["implicitFlowEnabled"] is False
        and client["directAccessGrantsEnabled"] is False
        and client["attributes"]["pkce.code.challenge.method"] == "S256")
R.check("keycloak: the app's redirect URIs", REDIRECTS <= set(client["redirectUris"]))
mappers = {m["protocolMapper"] + ":" + m["config"].get("claim.name", ""): m
           for m in client["protocolMappers"]}
aud = [m for m in client["protocolMappers"] if m["protocolMapper"] == "oidc-audience-mapper"]
R.check("keycloak: audience mapper adds the FHIR base to access tokens",
        len(aud) == 1 and aud[0]["config"]["access.token.claim"] == "true"
        and aud[0]["config"]["included.custom.audience"] == "${FHIR_AUDIENCE}"
        and "FHIR_AUDIENCE" in kc_env)
for claim in ("patient_id", "fhirUser"):
    m = mappers.get("oidc-usermodel-attribute-mapper:" + claim)
    R.check("keycloak: %s in the access token" % claim,
            m is not None and m["config"]["access.token.claim"] == "true")
R.check("keycloak: validator reads patient_id and fhirUser",
        env.get("SMART_PATIENT_CLAIM", "patient_id") == "patient_id"
        and env.get("SMART_FHIRUSER_CLAIM", "fhirUser") == "fhirUser")
scope_names = {s["name"] for s in realm["clientScopes"]}
offered = set(client["defaultClientScopes"]) | set(client["optionalClientScopes"])
R.check("keycloak: SMART client scopes defined and offered",
        "launch/patient" in scope_names and "fhirUser" in scope_names
        and any(SCOPE_RE.match(s) for s in scope_names)
        and offered - {"profile", "offline_access"} <= scope_names,
        str(offered - scope_names))
bad = [s for s in scope_names if "/" in s and not s.startswith("launch/") and not SCOPE_RE.match(s)]
R.check("keycloak: realm resource scopes are SMART scopes", not bad, str(bad))
R.check("keycloak: no credential in the realm export",
        "credentials" not in json.dumps(realm.get("users", [])) and "secret" not in client)
with open(os.path.join(DEPLOY, "keycloak", "Dockerfile")) as f:
    docker = f.read()
R.check("keycloak: image imports the realm file",
        "keycloak-realm-smart.json" in docker and "--import-realm" in docker)

sys.exit(R.finish())
