#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""IdP tests for smart-sandbox, driven over HTTP against the real binary.

Usage: test-idp.py SMART_SANDBOX_EXE FLAVOR

Starts the sandbox on 127.0.0.1 port 0 in a temporary data dir, reads the
ready line, and walks the authorization code + PKCE flow through the login,
patient-picker and consent pages the way a browser would; then checks every
authorization and token error, refresh rotation, client_credentials, the
id_token, revocation, userinfo, logout, fault switches, key rotation and key
persistence.  Python standard library only (RS256 is checked with pow()).
"""

import base64
import configparser
import hashlib
import html
import html.parser
import http.client
import json
import os
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

PUBLIC_CLIENT = "smart-viewer"
PRIVATE_USE_REDIRECT = "io.github.smartviewer.smartviewer:/oauth2redirect"
LOOPBACK_REDIRECT = "http://127.0.0.1:53682/oauth2redirect"
READY_TIMEOUT = 120   # generous: the sanitizer build generates the population slowly
HTTP_TIMEOUT = 30


# ---- helpers ----------------------------------------------------------------

def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_parts(token):
    h, p, s = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p)), b64url_decode(s)


SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def rs256_verify(token, jwks):
    """True when token is an RS256 JWS signed by the JWKS key named in its kid."""
    header, _, sig = jwt_parts(token)
    if header.get("alg") != "RS256":
        return False
    keys = [k for k in jwks["keys"] if k.get("kid") == header.get("kid")]
    if len(keys) != 1:
        return False
    n = int.from_bytes(b64url_decode(keys[0]["n"]), "big")
    e = int.from_bytes(b64url_decode(keys[0]["e"]), "big")
    k = (n.bit_length() + 7) // 8
    em = pow(int.from_bytes(sig, "big"), e, n).to_bytes(k, "big")
    signing_input = token.rsplit(".", 1)[0].encode()
    t = SHA256_DIGEST_INFO + hashlib.sha256(signing_input).digest()
    expected = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return em == expected


class FormParser(html.parser.HTMLParser):
    """Collects forms with their inputs and buttons, and the page text."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self.text = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "method": a.get("method", "get"),
                               "inputs": [], "buttons": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"].append(a)
        elif tag == "button" and self.forms:
            self.forms[-1]["buttons"].append(a)
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_title:
            self.title += data


def parse_page(body):
    p = FormParser()
    p.feed(body)
    p.page_text = " ".join(" ".join(p.text).split())
    return p


def form_with_input(page, name):
    for f in page.forms:
        if any(i.get("name") == name for i in f["inputs"]):
            return f
    raise AssertionError("no form with an input named %r" % name)


def hidden_fields(form):
    return [(i["name"], i.get("value", "")) for i in form["inputs"] if i.get("type") == "hidden"]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body)

    def location_params(self):
        loc = self.header("Location")
        assert loc is not None, "expected a redirect, got %d" % self.status
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query, keep_blank_values=True))


def check(cond, what):
    if not cond:
        raise AssertionError(what)


# ---- the sandbox process ------------------------------------------------------

class Sandbox:
    def __init__(self, exe, flavor, data_dir, env=None):
        self.exe = exe
        self.flavor = flavor
        self.data_dir = data_dir
        self.env = env or {}
        self.proc = None

    def start(self):
        env = dict(os.environ)
        env.update(self.env)
        args = [self.exe, "--host", "127.0.0.1", "--port", "0", "--flavor", self.flavor,
                "--data-dir", self.data_dir]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, env=env,
                                     start_new_session=True)
        deadline = time.monotonic() + READY_TIMEOUT
        buf = b""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no ready line within %d s" % READY_TIMEOUT)
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if not r:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                raise AssertionError("smart-sandbox exited before it was ready (status %s)"
                                     % self.proc.wait())
            buf += chunk
            for line in buf.split(b"\n"):
                line = line.decode(errors="replace")
                if line.startswith("smart-sandbox ready "):
                    fields = dict(kv.split("=", 1) for kv in line.split()[2:])
                    self.fhir = fields["fhir"]
                    self.issuer = fields["issuer"]
                    self.client_id = fields["client_id"]
                    u = urllib.parse.urlsplit(self.issuer)
                    self.host, self.port = u.hostname, u.port
                    self.root = "%s://%s" % (u.scheme, u.netloc)
                    # Drain the rest of stdout so the child never blocks on it.
                    self._drain()
                    return self
            if b"\n" in buf:
                buf = buf.rsplit(b"\n", 1)[1] if not buf.endswith(b"\n") else b""

    def _drain(self):
        import threading

        def run(f):
            try:
                while f.read(4096):
                    pass
            except (OSError, ValueError):
                pass
        threading.Thread(target=run, args=(self.proc.stdout,), daemon=True).start()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                status = self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.proc = None
                raise AssertionError("smart-sandbox did not stop on SIGTERM")
            self.proc = None
            # A clean stop exits 0; under the sanitizers a leak or an error
            # at shutdown shows up here.
            check(status == 0, "smart-sandbox exited with status %d after SIGTERM" % status)
        self.proc = None

    # -- HTTP --

    def request(self, method, url, body=None, headers=None):
        u = urllib.parse.urlsplit(url)
        check(u.hostname == "127.0.0.1", "test only talks to 127.0.0.1, not %s" % url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=HTTP_TIMEOUT)
        path = u.path + ("?" + u.query if u.query else "")
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        resp = Response(r.status, r.getheaders(), r.read().decode("utf-8", errors="replace"))
        conn.close()
        return resp

    def get(self, url, params=None, headers=None):
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        return self.request("GET", url, headers=headers)

    def post(self, url, fields, headers=None):
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers or {})
        return self.request("POST", url, urllib.parse.urlencode(fields), h)

    def post_json(self, url, obj):
        return self.request("POST", url, json.dumps(obj), {"Content-Type": "application/json"})

    def users(self):
        cp = configparser.RawConfigParser(strict=False, interpolation=None)
        cp.optionxform = str
        with open(os.path.join(self.data_dir, "sandbox.ini"), encoding="utf-8") as f:
            cp.read_string(f.read())
        return cp


# ---- the flows ----------------------------------------------------------------

class Flow:
    """One authorization request, page by page."""

    def __init__(self, sb, disc, scope, redirect_uri=PRIVATE_USE_REDIRECT, extra=None, drop=()):
        self.sb = sb
        self.disc = disc
        self.verifier = b64url(secrets.token_bytes(48))
        self.state = b64url(secrets.token_bytes(16))
        self.nonce = b64url(secrets.token_bytes(16))
        self.redirect_uri = redirect_uri
        params = {
            "response_type": "code",
            "client_id": sb.client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": self.state,
            "aud": sb.fhir,
            "nonce": self.nonce,
            "code_challenge": b64url(hashlib.sha256(self.verifier.encode()).digest()),
            "code_challenge_method": "S256",
        }
        params.update(extra or {})
        for k in drop:
            params.pop(k, None)
        self.params = params

    def start(self):
        return self.sb.get(self.disc["authorization_endpoint"], self.params)

    def submit(self, page, fields):
        action = urllib.parse.urljoin(self.disc["authorization_endpoint"], page_form_action(page))
        return self.sb.post(action, fields)


def page_form_action(form):
    return form["action"]


def login(flow, username, password="demo"):
    r = flow.start()
    check(r.status == 200, "login page status %d: %s" % (r.status, r.body[:300]))
    page = parse_page(r.body)
    f = form_with_input(page, "password")
    check(any(i.get("name") == "username" for i in f["inputs"]), "login form has username")
    fields = hidden_fields(f) + [("username", username), ("password", password),
                                 ("decision", "login")]
    return flow.submit(f, fields), page


def consent(flow, r, untick=(), decision="allow"):
    page = parse_page(r.body)
    f = form_with_input(page, "scope")
    boxes = [i for i in f["inputs"] if i.get("name") == "scope"]
    check(all(i.get("type") == "checkbox" for i in boxes), "scopes are checkboxes")
    check(any(b.get("name") == "decision" and b.get("value") == "allow" for b in f["buttons"]),
          "consent has decision=allow")
    check(any(b.get("name") == "decision" and b.get("value") == "deny" for b in f["buttons"]),
          "consent has decision=deny")
    fields = hidden_fields(f)
    fields += [("scope", i["value"]) for i in boxes if i["value"] not in untick]
    fields.append(("decision", decision))
    return flow.submit(f, fields), [i["value"] for i in boxes]


def exchange(sb, disc, flow, code, **over):
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": flow.redirect_uri,
              "client_id": sb.client_id, "code_verifier": flow.verifier}
    fields.update(over)
    fields = {k: v for k, v in fields.items() if v is not None}
    return sb.post(disc["token_endpoint"], fields)


def full_flow(sb, disc, username, scope, pick=None, untick=(), search=None):
    """Runs login → (picker) → consent and returns (flow, redirect params, consent scopes)."""
    flow = Flow(sb, disc, scope)
    r, _ = login(flow, username)
    page = parse_page(r.body)
    if any(i.get("name") == "patient" for f in page.forms for i in f["inputs"]):
        check(pick is not None, "unexpected patient picker for %s" % username)
        if search is not None:
            sf = form_with_input(page, "q")
            r = flow.submit(sf, hidden_fields(sf) + [("q", search)])
            check(r.status == 200, "search status %d" % r.status)
            page = parse_page(r.body)
        f = form_with_input(page, "patient")
        radios = [i["value"] for i in f["inputs"] if i.get("name") == "patient"]
        check(pick in radios, "patient %s offered by the picker (%d offered)" % (pick, len(radios)))
        r = flow.submit(f, hidden_fields(f) + [("patient", pick), ("decision", "continue")])
    else:
        check(pick is None, "expected a patient picker for %s" % username)
    check(r.status == 200, "consent page status %d: %s" % (r.status, r.body[:300]))
    r, offered = consent(flow, r, untick)
    check(r.status in (302, 303), "consent answer is a redirect, got %d" % r.status)
    loc = r.header("Location")
    check(loc.startswith(flow.redirect_uri + "?"), "redirects to the registered URI: %s"
          % loc.split("?")[0])
    return flow, r.location_params(), offered


# ---- tests ----------------------------------------------------------------------

class IdpTests:
    def __init__(self, exe, flavor, workdir):
        self.exe = exe
        self.flavor = flavor
        self.cognito = flavor == "cognito"
        self.data_dir = os.path.join(workdir, flavor)
        os.makedirs(self.data_dir)
        self.sb = None

    def setup(self, env=None):
        self.sb = Sandbox(self.exe, self.flavor, self.data_dir, env).start()
        r = self.sb.get(self.sb.issuer + "/.well-known/openid-configuration")
        check(r.status == 200, "discovery status %d" % r.status)
        self.disc = r.json()
        self.jwks = self.sb.get(self.disc["jwks_uri"]).json()
        ini = self.sb.users()
        self.patient_id = ini.get("user:patient", "patient")
        self.clinician_fhir_user = ini.get("user:clinician", "fhirUser")
        self.backend_id = "smart-backend"
        self.backend_secret = ini.get("sandbox", "backend_client_secret")

    def teardown(self):
        if self.sb:
            sb, self.sb = self.sb, None
            sb.stop()

    # -- discovery --

    def test_discovery(self):
        d, sb = self.disc, self.sb
        check(d["issuer"] == sb.issuer, "issuer")
        check(d["code_challenge_methods_supported"] == ["S256"], "S256 only")
        if self.cognito:
            check(sb.issuer.startswith(sb.root + "/cognito/us-east-1_"), "cognito issuer shape")
            check(d["jwks_uri"] == sb.issuer + "/.well-known/jwks.json", "cognito jwks_uri")
            check(d["authorization_endpoint"] == sb.root + "/cognito-ui/oauth2/authorize", "hosted UI")
            check(d["token_endpoint"] == sb.root + "/cognito-ui/oauth2/token", "hosted UI token")
            check(d["revocation_endpoint"] == sb.root + "/cognito-ui/oauth2/revoke", "revoke")
            check("introspection_endpoint" not in d, "cognito has no introspection")
        else:
            check(sb.issuer == sb.root + "/realms/smart", "keycloak issuer")
            base = sb.issuer + "/protocol/openid-connect/"
            for key, suffix in [("authorization_endpoint", "auth"), ("token_endpoint", "token"),
                                ("jwks_uri", "certs"), ("end_session_endpoint", "logout"),
                                ("revocation_endpoint", "revoke"), ("userinfo_endpoint", "userinfo")]:
                check(d[key] == base + suffix, "%s is %s" % (key, d[key]))
        keys = self.jwks["keys"]
        check(len(keys) >= 1 and all(k["kty"] == "RSA" and k["alg"] == "RS256" and k["kid"]
                                     for k in keys), "JWKS has RS256 keys with kids")
        check(all("d" not in k and "p" not in k for k in keys), "JWKS holds no private parts")
        check((int.from_bytes(b64url_decode(keys[0]["n"]), "big")).bit_length() == 2048, "2048 bits")
        r = sb.get(sb.fhir + ".well-known/smart-configuration")
        check(r.status == 200, "smart-configuration status %d" % r.status)
        sc = r.json()
        for key in ["issuer", "jwks_uri", "authorization_endpoint", "token_endpoint",
                    "revocation_endpoint"]:
            check(sc.get(key) == d[key], "smart-configuration %s matches discovery" % key)
        check("S256" in sc["code_challenge_methods_supported"]
              and "plain" not in sc["code_challenge_methods_supported"], "smart-config PKCE")

    # -- full flows --

    def clinician_patient(self):
        """A patient of the clinician (the last one the picker lists) and a
        word of its name to search it by."""
        flow = Flow(self.sb, self.disc, "launch/patient openid")
        r, _ = login(flow, "clinician")
        page = parse_page(r.body)
        f = form_with_input(page, "patient")
        radios = [i for i in f["inputs"] if i.get("name") == "patient"]
        check(len(radios) >= 2, "the clinician has several patients (%d)" % len(radios))
        # Prefer a plainly named patient: the population also holds edge
        # cases (no name, long or non-ASCII names) that make poor search terms.
        for radio in reversed(radios):
            m = re.search(r'<label for="%s"[^>]*>([^<]*)</label>' % re.escape(radio["id"]), r.body)
            check(m is not None, "the picker labels each patient")
            label = html.unescape(m.group(1)).split(" (")[0]
            if re.fullmatch(r"[A-Z][a-z]+( [A-Z][a-z]+)+", label):
                return radio["value"], label.split()[-1]
        raise AssertionError("no plainly named patient among the clinician's %d" % len(radios))

    def test_clinician_flow(self):
        sb, disc = self.sb, self.disc
        # A wrong password shows the form again with an alert.
        flow = Flow(sb, disc, "openid")
        r, first = login(flow, "clinician", "wrong")
        check(r.status in (200, 401) and "Wrong username or password" in r.body, "bad password")
        check("SMART Sandbox" in first.page_text, "page names the sandbox")
        check(("Cognito" if self.cognito else "Keycloak") in first.page_text, "page names the flavor")
        check(parse_page(r.body).forms, "login form shown again")

        pid, _ = self.clinician_patient()
        # Search narrows the picker; pick a patient; untick one scope.
        scope = ("launch/patient openid fhirUser offline_access patient/Condition.rs "
                 "patient/MedicationRequest.read patient/Patient.rs user/Practitioner.rs")
        flow, params, offered = full_flow(sb, disc, "clinician", scope, pick=pid,
                                          untick=("user/Practitioner.rs",))
        check(offered == scope.split(), "consent lists every requested scope")
        check(params.get("state") == flow.state, "state returned")
        check(params.get("iss") == sb.issuer, "iss returned (RFC 9207)")
        check("code" in params and len(params["code"]) >= 32, "code returned")
        r = exchange(sb, disc, flow, params["code"])
        check(r.status == 200, "token status %d: %s" % (r.status, r.body))
        check(r.header("Cache-Control") == "no-store", "Cache-Control: no-store")
        tok = r.json()
        check(tok["token_type"] == "Bearer" and tok["expires_in"] > 0, "bearer + expires_in")
        check("refresh_token" in tok and "id_token" in tok, "refresh and id tokens")
        granted = " ".join(s for s in scope.split() if s != "user/Practitioner.rs")
        if self.cognito:
            check("patient" not in tok, "cognito token response has no top-level patient")
            check("scope" not in tok, "cognito token response has no scope, like Cognito's")
        else:
            check(tok["patient"] == pid, "keycloak top-level patient")
            check(tok["scope"] == granted, "granted scope narrowed: %s" % tok["scope"])
        check(rs256_verify(tok["access_token"], self.jwks), "access token signature")
        h, at, _ = jwt_parts(tok["access_token"])
        check(h["typ"] == "JWT" and h["kid"] == self.jwks["keys"][0]["kid"], "header")
        check(at["iss"] == sb.issuer and at["scope"] == granted, "iss/scope claims")
        check(at["exp"] - at["iat"] == tok["expires_in"], "exp matches expires_in")
        check(at.get("jti") and at.get("sub"), "jti and sub")
        if self.cognito:
            check("aud" not in at, "cognito access token has no aud")
            check(at["client_id"] == PUBLIC_CLIENT and at["token_use"] == "access", "cognito shape")
            check(at["username"] == "clinician", "cognito username")
            check(at["custom:patient"] == pid, "custom:patient")
            check(at["custom:fhirUser"] == self.clinician_fhir_user, "custom:fhirUser")
        else:
            check(at["aud"] == [sb.fhir, "account"], "keycloak aud %r" % at["aud"])
            check(at["azp"] == PUBLIC_CLIENT and at["typ"] == "Bearer", "azp/typ")
            check(at["patient_id"] == pid, "patient_id")
            check(at["fhirUser"] == self.clinician_fhir_user, "fhirUser")
        # id_token
        check(rs256_verify(tok["id_token"], self.jwks), "id_token signature")
        _, it, _ = jwt_parts(tok["id_token"])
        check(it["aud"] == PUBLIC_CLIENT and it["iss"] == sb.issuer, "id_token aud = client id")
        check(it["nonce"] == flow.nonce, "nonce echoed")
        check(it["fhirUser"].endswith(self.clinician_fhir_user), "id_token fhirUser")
        check(it.get("name") and it["exp"] > time.time(), "id_token name and exp")
        check(it["at_hash"] == b64url(hashlib.sha256(tok["access_token"].encode()).digest()[:16]),
              "at_hash")
        if self.cognito:
            check(it["token_use"] == "id", "cognito id token_use")
        # userinfo with the access token
        r = sb.get(disc["userinfo_endpoint"],
                   headers={"Authorization": "Bearer " + tok["access_token"]})
        check(r.status == 200, "userinfo status %d" % r.status)
        ui = r.json()
        check(ui["sub"] == at["sub"], "userinfo sub")
        r = sb.get(disc["userinfo_endpoint"], headers={"Authorization": "Bearer nonsense"})
        check(r.status == 401 and "invalid_token" in (r.header("WWW-Authenticate") or ""),
              "userinfo rejects a bad token")
        self.tokens = tok

    def test_picker_search_and_refusal(self):
        sb, disc = self.sb, self.disc
        pid, word = self.clinician_patient()
        # The name search finds the patient.
        flow, params, _ = full_flow(sb, disc, "clinician", "launch/patient openid patient/*.rs",
                                    pick=pid, search=word)
        check("code" in params, "picked after a search")
        flow = Flow(sb, disc, "launch/patient openid")
        r, _ = login(flow, "clinician")
        page = parse_page(r.body)
        check("Search by name" in page.page_text, "picker has a search")
        # Choosing a patient that is not the clinician's is refused.
        f = form_with_input(page, "patient")
        r = flow.submit(f, hidden_fields(f) + [("patient", self.patient_id + "-nobody"),
                                               ("decision", "continue")])
        check(r.status == 200 and "cannot choose that patient" in r.body, "foreign patient refused")
        # A search that matches nothing lists nobody.
        sf = form_with_input(parse_page(r.body), "q")
        r = flow.submit(sf, hidden_fields(sf) + [("q", "Zzzyxxqqq")])
        page = parse_page(r.body)
        check(not [i for f in page.forms for i in f["inputs"] if i.get("name") == "patient"
                   and i.get("type") == "radio"], "no match, no radio")

    def test_untick_launch_patient(self):
        sb, disc = self.sb, self.disc
        pid, _ = self.clinician_patient()
        flow, params, _ = full_flow(sb, disc, "clinician", "launch/patient openid user/*.rs",
                                    pick=pid, untick=("launch/patient",))
        tok = exchange(sb, disc, flow, params["code"]).json()
        _, at, _ = jwt_parts(tok["access_token"])
        check("patient" not in tok and "patient_id" not in at and "custom:patient" not in at,
              "unticking launch/patient drops the picked patient")
        check(at["scope"] == "openid user/*.rs", "granted scope %s" % at["scope"])

    def test_authorize_post_and_login_lockout(self):
        sb, disc = self.sb, self.disc
        flow = Flow(sb, disc, "openid patient/*.rs")
        r = sb.post(disc["authorization_endpoint"], flow.params)
        check(r.status == 200 and 'name="password"' in r.body, "authorization request as a POST form")
        page = parse_page(r.body)
        for attempt in range(5):
            f = form_with_input(page, "password")
            r = flow.submit(f, hidden_fields(f) + [("username", "patient"), ("password", "nope%d" % attempt)])
            if attempt < 4:
                check(r.status == 401 and "Wrong username or password" in r.body, "failed login %d" % attempt)
                page = parse_page(r.body)
        self.expect_error_redirect(r, flow, "access_denied", "five failed logins")

    def test_patient_flow(self):
        sb, disc = self.sb, self.disc
        flow, params, _ = full_flow(sb, disc, "patient",
                                    "launch/patient openid fhirUser patient/*.rs online_access")
        tok = exchange(sb, disc, flow, params["code"]).json()
        _, at, _ = jwt_parts(tok["access_token"])
        claim = "custom:patient" if self.cognito else "patient_id"
        check(at[claim] == self.patient_id, "patient user gets own patient, no picker")
        check("refresh_token" in tok, "online_access gives a refresh token")
        if not self.cognito:
            check(tok["patient"] == self.patient_id, "top-level patient")

    def test_loopback_redirect_any_port(self):
        for port in (1024, 53682, 65535):
            flow = Flow(self.sb, self.disc, "openid patient/*.rs",
                        redirect_uri="http://127.0.0.1:%d/oauth2redirect" % port)
            r = flow.start()
            check(r.status == 200 and "password" in r.body, "loopback port %d accepted" % port)

    # -- authorization errors --

    def expect_error_page(self, r, what):
        check(r.status == 400, "%s: error page status %d" % (what, r.status))
        check(r.header("Location") is None, "%s: no redirect" % what)
        check("text/html" in (r.header("Content-Type") or ""), "%s: an HTML page" % what)

    def expect_error_redirect(self, r, flow, error, what, with_state=True):
        check(r.status in (302, 303), "%s: redirect expected, got %d" % (what, r.status))
        check(r.header("Location").startswith(flow.redirect_uri + "?"), "%s: to the client" % what)
        p = r.location_params()
        check(p.get("error") == error, "%s: error %r" % (what, p.get("error")))
        check(p.get("iss") == self.sb.issuer, "%s: iss" % what)
        if with_state:
            check(p.get("state") == flow.state, "%s: state" % what)
        check("code" not in p, "%s: no code" % what)

    def test_authorization_errors(self):
        sb, disc = self.sb, self.disc
        S = "openid patient/*.rs"
        self.expect_error_page(Flow(sb, disc, S, extra={"client_id": "evil-app"}).start(), "bad client")
        self.expect_error_page(Flow(sb, disc, S, extra={"client_id": "smart-backend"}).start(),
                               "backend client")
        self.expect_error_page(Flow(sb, disc, S, drop=("client_id",)).start(), "no client")
        for bad in ["https://evil.example/cb", PRIVATE_USE_REDIRECT + "/x",
                    "http://127.0.0.1:80/oauth2redirect/..", "http://localhost:5000/oauth2redirect",
                    "http://127.0.0.1:99999/oauth2redirect", "http://127.0.0.1/oauth2redirect"]:
            self.expect_error_page(Flow(sb, disc, S, redirect_uri=bad).start(),
                                   "unregistered redirect " + bad)
        self.expect_error_page(Flow(sb, disc, S, drop=("redirect_uri",)).start(), "no redirect")
        f = Flow(sb, disc, S, drop=("state",))
        self.expect_error_redirect(f.start(), f, "invalid_request", "no state", with_state=False)
        f = Flow(sb, disc, S, extra={"code_challenge_method": "plain",
                                      "code_challenge": "a" * 50})
        self.expect_error_redirect(f.start(), f, "invalid_request", "plain PKCE")
        f = Flow(sb, disc, S, drop=("code_challenge", "code_challenge_method"))
        self.expect_error_redirect(f.start(), f, "invalid_request", "no PKCE")
        f = Flow(sb, disc, S, drop=("code_challenge_method",))
        self.expect_error_redirect(f.start(), f, "invalid_request", "PKCE without method")
        f = Flow(sb, disc, S, extra={"aud": "https://healthlake.example/datastore/x/r4/"})
        self.expect_error_redirect(f.start(), f, "invalid_request", "wrong aud")
        f = Flow(sb, disc, S, extra={"aud": sb.fhir.rstrip("/")})
        check(f.start().status == 200, "aud without the trailing slash is the same base")
        f = Flow(sb, disc, S, extra={"response_type": "token"})
        self.expect_error_redirect(f.start(), f, "unsupported_response_type", "implicit")
        f = Flow(sb, disc, "openid system/*.rs")
        self.expect_error_redirect(f.start(), f, "invalid_scope", "system scope in authorize")
        f = Flow(sb, disc, "launch/patient openid bogus/scope")
        r = f.start()
        if self.cognito:
            self.expect_error_redirect(r, f, "invalid_scope", "cognito unknown scope")
        else:
            check(r.status == 200, "keycloak drops unknown scopes")
        # Denied consent.
        flow = Flow(sb, disc, "openid patient/*.rs")
        r, _ = login(flow, "patient")
        r, _ = consent(flow, r, decision="deny")
        self.expect_error_redirect(r, flow, "access_denied", "denied consent")
        # Cancel on the login page.
        flow = Flow(sb, disc, "openid patient/*.rs")
        page = parse_page(flow.start().body)
        f = form_with_input(page, "password")
        r = flow.submit(f, hidden_fields(f) + [("decision", "deny")])
        self.expect_error_redirect(r, flow, "access_denied", "cancelled login")
        # A stale or forged page id is an error page, not a redirect.
        r = flow.submit(f, [("tx", "forged"), ("step", "login"), ("username", "patient"),
                            ("password", "demo")])
        self.expect_error_page(r, "forged tx")
        # Skipping the login step gets the login page again, never a code.
        flow = Flow(sb, disc, "openid patient/*.rs")
        f = form_with_input(parse_page(flow.start().body), "password")
        r = flow.submit(f, hidden_fields(f)[:1] + [("step", "consent"), ("scope", "openid"),
                                                   ("decision", "allow")])
        check(r.status == 200 and r.header("Location") is None and "password" in r.body,
              "consent before login is refused")

    # -- token errors --

    def test_token_errors(self):
        sb, disc = self.sb, self.disc
        S = "openid patient/*.rs offline_access"
        # Wrong verifier: invalid_grant, and the code is burnt.
        flow, params, _ = full_flow(sb, disc, "patient", S)
        r = exchange(sb, disc, flow, params["code"], code_verifier=b64url(secrets.token_bytes(48)))
        check(r.status == 400 and r.json()["error"] == "invalid_grant", "wrong verifier")
        check(r.header("Cache-Control") == "no-store", "errors are no-store too")
        r = exchange(sb, disc, flow, params["code"])
        check(r.status == 400 and r.json()["error"] == "invalid_grant", "burnt code")
        # Missing verifier.
        flow, params, _ = full_flow(sb, disc, "patient", S)
        r = exchange(sb, disc, flow, params["code"], code_verifier=None)
        check(r.status == 400 and r.json()["error"] == "invalid_grant", "no verifier")
        # Wrong redirect_uri.
        flow, params, _ = full_flow(sb, disc, "patient", S)
        r = exchange(sb, disc, flow, params["code"], redirect_uri=LOOPBACK_REDIRECT)
        check(r.status == 400 and r.json()["error"] == "invalid_grant", "wrong redirect_uri")
        # Unknown client and confidential client on a public code.
        flow, params, _ = full_flow(sb, disc, "patient", S)
        r = exchange(sb, disc, flow, params["code"], client_id="evil-app")
        check(r.status == 401 and r.json()["error"] == "invalid_client", "unknown client")
        # Replayed code: the second use fails and revokes what the first issued.
        flow, params, _ = full_flow(sb, disc, "patient", S)
        r = exchange(sb, disc, flow, params["code"])
        check(r.status == 200, "first exchange")
        tok = r.json()
        r = exchange(sb, disc, flow, params["code"])
        check(r.status == 400 and r.json()["error"] == "invalid_grant", "replayed code")
        r = sb.post(disc["token_endpoint"], {"grant_type": "refresh_token", "client_id": sb.client_id,
                                             "refresh_token": tok["refresh_token"]})
        check(r.status == 400 and r.json()["error"] == "invalid_grant",
              "refresh token of a replayed code is revoked")
        if not self.cognito:
            r = sb.get(disc["userinfo_endpoint"], headers={"Authorization": "Bearer " + tok["access_token"]})
            check(r.status == 401, "access token of a replayed code is revoked (userinfo)")
            r = self.introspect(tok["access_token"])
            check(r["active"] is False, "access token of a replayed code is inactive")
        # Other grant errors.
        r = sb.post(disc["token_endpoint"], {"grant_type": "password", "client_id": sb.client_id,
                                             "username": "patient", "password": "demo"})
        check(r.status == 400 and r.json()["error"] == "unsupported_grant_type", "password grant")
        r = sb.request("POST", disc["token_endpoint"], "{}", {"Content-Type": "application/json"})
        check(r.status == 400 and r.json()["error"] == "invalid_request", "JSON body refused")
        r = sb.get(disc["token_endpoint"])
        check(r.status == 405, "GET token endpoint")
        r = sb.post(disc["token_endpoint"], [("grant_type", "authorization_code"),
                                             ("grant_type", "refresh_token"),
                                             ("client_id", sb.client_id)])
        check(r.status == 400 and r.json()["error"] == "invalid_request", "repeated parameter")

    def test_refresh_rotation(self):
        sb, disc = self.sb, self.disc
        flow, params, _ = full_flow(sb, disc, "patient", "openid patient/*.rs offline_access")
        tok = exchange(sb, disc, flow, params["code"]).json()
        rt1 = tok["refresh_token"]

        def refresh(rt, **extra):
            fields = {"grant_type": "refresh_token", "client_id": sb.client_id, "refresh_token": rt}
            fields.update(extra)
            return sb.post(disc["token_endpoint"], fields)

        r = refresh(rt1)
        check(r.status == 200, "refresh status %d: %s" % (r.status, r.body))
        check(r.header("Cache-Control") == "no-store", "refresh no-store")
        tok2 = r.json()
        rt2 = tok2["refresh_token"]
        check(rt2 != rt1 and tok2["access_token"] != tok["access_token"], "rotation")
        check("id_token" in tok2, "id_token on refresh with openid")
        # Narrowing on refresh is allowed, widening is not.
        r = refresh(rt2, scope="patient/*.rs")
        check(r.status == 200, "narrowed refresh")
        tok3 = r.json()
        _, at3, _ = jwt_parts(tok3["access_token"])
        check(at3["scope"] == "patient/*.rs", "narrowed scope %s" % at3["scope"])
        rt3 = tok3["refresh_token"]
        r = refresh(rt3, scope="patient/*.rs user/*.rs")
        check(r.status == 400 and r.json()["error"] == "invalid_scope", "widening refused")
        r = refresh(rt3, client_id="evil-app")
        check(r.status == 401, "refresh by unknown client")
        # Reusing rt1 (already rotated) revokes the family: rt3 dies too.
        r = refresh(rt1)
        check(r.status == 400 and r.json()["error"] == "invalid_grant", "reused refresh token")
        r = refresh(rt3)
        check(r.status == 400 and r.json()["error"] == "invalid_grant", "family revoked")
        r = refresh("not-a-token")
        check(r.status == 400 and r.json()["error"] == "invalid_grant", "unknown refresh token")
        # Without offline_access/online_access there is no refresh token.
        flow, params, _ = full_flow(sb, disc, "patient", "openid patient/*.rs")
        tok = exchange(sb, disc, flow, params["code"]).json()
        check("refresh_token" not in tok, "no refresh token without offline/online access")

    def test_client_credentials(self):
        sb, disc = self.sb, self.disc
        basic = "Basic " + base64.b64encode(
            ("%s:%s" % (urllib.parse.quote(self.backend_id), urllib.parse.quote(self.backend_secret)))
            .encode()).decode()
        r = sb.post(disc["token_endpoint"], {"grant_type": "client_credentials",
                                             "scope": "system/Patient.rs system/Condition.read"},
                    {"Authorization": basic})
        check(r.status == 200, "client_secret_basic: %d %s" % (r.status, r.body))
        tok = r.json()
        check("refresh_token" not in tok and "id_token" not in tok, "no refresh/id token")
        check(r.header("Cache-Control") == "no-store", "no-store")
        _, at, _ = jwt_parts(tok["access_token"])
        check(rs256_verify(tok["access_token"], self.jwks), "signature")
        check(at["scope"] == "system/Patient.rs system/Condition.read", "system scope")
        if self.cognito:
            check(at["client_id"] == self.backend_id and at["sub"] == self.backend_id, "cognito cc")
            check("aud" not in at and "username" not in at, "cognito cc has no aud/username")
        else:
            check(at["azp"] == self.backend_id and at["aud"] == [sb.fhir, "account"], "keycloak cc")
            check("patient_id" not in at, "no patient claim")
        r = sb.post(disc["token_endpoint"], {"grant_type": "client_credentials", "scope": "system/*.rs",
                                             "client_id": self.backend_id,
                                             "client_secret": self.backend_secret})
        check(r.status == 200, "client_secret_post")
        r = sb.post(disc["token_endpoint"], {"grant_type": "client_credentials", "scope": "system/*.rs",
                                             "client_id": self.backend_id, "client_secret": "wrong"})
        check(r.status == 401 and r.json()["error"] == "invalid_client", "wrong secret")
        check(self.backend_secret not in r.body, "secret not echoed")
        r = sb.post(disc["token_endpoint"], {"grant_type": "client_credentials", "scope": "system/*.rs",
                                             "client_id": self.backend_id})
        check(r.status == 401, "no secret")
        r = sb.post(disc["token_endpoint"], {"grant_type": "client_credentials",
                                             "scope": "patient/*.rs"}, {"Authorization": basic})
        check(r.status == 400 and r.json()["error"] == "invalid_scope", "non-system scope")
        r = sb.post(disc["token_endpoint"], {"grant_type": "client_credentials", "scope": "system/*.rs",
                                             "client_id": sb.client_id})
        check(r.status == 400 and r.json()["error"] == "unauthorized_client", "public client cc")
        r = sb.post(disc["token_endpoint"], {"grant_type": "client_credentials", "scope": "system/*.rs",
                                             "client_secret": self.backend_secret},
                    {"Authorization": basic})
        check(r.status == 400 and r.json()["error"] == "invalid_request", "two auth methods")

    def introspect(self, token):
        r = self.sb.post(self.disc["introspection_endpoint"], {"token": token},
                         {"Authorization": "Basic " + base64.b64encode(
                             ("%s:%s" % (self.backend_id, self.backend_secret)).encode()).decode()})
        check(r.status == 200, "introspection status %d" % r.status)
        return r.json()

    def test_revocation(self):
        sb, disc = self.sb, self.disc
        flow, params, _ = full_flow(sb, disc, "patient", "openid patient/*.rs offline_access")
        tok = exchange(sb, disc, flow, params["code"]).json()
        r = sb.post(disc["revocation_endpoint"], {"token": "unknown", "client_id": sb.client_id})
        check(r.status == 200, "unknown token: 200 (RFC 7009)")
        r = sb.post(disc["revocation_endpoint"], {"token": tok["refresh_token"], "client_id": "evil"})
        check(r.status == 401, "revocation needs a known client")
        r = sb.post(disc["revocation_endpoint"], {"token": tok["refresh_token"],
                                                  "token_type_hint": "refresh_token",
                                                  "client_id": sb.client_id})
        check(r.status == 200, "revoke refresh token")
        r = sb.post(disc["token_endpoint"], {"grant_type": "refresh_token", "client_id": sb.client_id,
                                             "refresh_token": tok["refresh_token"]})
        check(r.status == 400 and r.json()["error"] == "invalid_grant", "revoked refresh token")
        # Access tokens: Keycloak revokes them (userinfo/introspection see it);
        # Cognito's revoke endpoint takes refresh tokens only.
        flow, params, _ = full_flow(sb, disc, "patient", "openid patient/*.rs")
        tok = exchange(sb, disc, flow, params["code"]).json()
        r = sb.post(disc["revocation_endpoint"], {"token": tok["access_token"], "client_id": sb.client_id})
        if self.cognito:
            check(r.status == 400 and r.json()["error"] == "unsupported_token_type", "cognito revoke AT")
        else:
            check(r.status == 200, "keycloak revoke AT")
            check(self.introspect(tok["access_token"])["active"] is False, "revoked AT inactive")
            r = sb.get(disc["userinfo_endpoint"], headers={"Authorization": "Bearer " + tok["access_token"]})
            check(r.status == 401, "revoked AT refused by userinfo")

    def test_introspection_and_logout(self):
        if self.cognito:
            return "SKIP Cognito has no introspection and no id_token_hint logout"
        sb, disc = self.sb, self.disc
        flow, params, _ = full_flow(sb, disc, "patient", "openid patient/*.rs online_access")
        tok = exchange(sb, disc, flow, params["code"]).json()
        info = self.introspect(tok["access_token"])
        check(info["active"] is True and info["scope"] == "openid patient/*.rs online_access",
              "introspection of a live token")
        r = sb.post(disc["introspection_endpoint"], {"token": tok["access_token"],
                                                     "client_id": sb.client_id})
        check(r.status == 401, "public client cannot introspect")
        r = sb.get(disc["end_session_endpoint"], {"id_token_hint": tok["id_token"],
                                                  "post_logout_redirect_uri": LOOPBACK_REDIRECT,
                                                  "state": "s1"})
        check(r.status == 302 and r.location_params()["state"] == "s1", "logout redirect")
        r = sb.post(disc["token_endpoint"], {"grant_type": "refresh_token", "client_id": sb.client_id,
                                             "refresh_token": tok["refresh_token"]})
        check(r.status == 400, "online_access refresh token ends with the session")
        r = sb.get(disc["end_session_endpoint"], {"id_token_hint": tok["id_token"],
                                                  "post_logout_redirect_uri": "https://evil.example/"})
        check(r.status == 400 and r.header("Location") is None, "logout to unregistered URI refused")

    def test_faults(self):
        sb, disc = self.sb, self.disc
        faults = sb.root + "/_sandbox/faults"
        r = sb.post_json(faults, {"token_error": "temporarily_unavailable", "token_error_status": 503})
        check(r.status in (200, 204), "set token fault: %d" % r.status)
        flow, params, _ = full_flow(sb, disc, "patient", "openid patient/*.rs offline_access")
        r = exchange(sb, disc, flow, params["code"])
        check(r.status == 503 and r.json()["error"] == "temporarily_unavailable", "token fault")
        flow, params, _ = full_flow(sb, disc, "patient", "openid patient/*.rs offline_access")
        check(exchange(sb, disc, flow, params["code"]).status == 200, "fault is one-shot")
        r = sb.post_json(faults, {"token_lifetime": 7, "refresh_invalid_grant": True})
        check(r.status in (200, 204), "set lifetime fault")
        flow, params, _ = full_flow(sb, disc, "patient", "openid patient/*.rs offline_access")
        tok = exchange(sb, disc, flow, params["code"]).json()
        _, at, _ = jwt_parts(tok["access_token"])
        check(tok["expires_in"] == 7 and at["exp"] - at["iat"] == 7, "token lifetime fault")
        r = sb.post(disc["token_endpoint"], {"grant_type": "refresh_token", "client_id": sb.client_id,
                                             "refresh_token": tok["refresh_token"]})
        check(r.status == 400 and r.json()["error"] == "invalid_grant", "refresh fault")
        r = sb.request("DELETE", faults)
        check(r.status in (200, 204), "clear faults")
        r = sb.post(disc["token_endpoint"], {"grant_type": "refresh_token", "client_id": sb.client_id,
                                             "refresh_token": tok["refresh_token"]})
        check(r.status == 200, "refresh works again after the one-shot fault")

    def test_events_hold_no_secrets(self):
        sb, disc = self.sb, self.disc
        conn = http.client.HTTPConnection(sb.host, sb.port, timeout=HTTP_TIMEOUT)
        conn.request("GET", "/_sandbox/events")
        stream = conn.getresponse()
        check(stream.status == 200, "events stream")
        flow, params, _ = full_flow(sb, disc, "patient", "openid patient/*.rs offline_access")
        tok = exchange(sb, disc, flow, params["code"]).json()
        sb.post(disc["token_endpoint"], {"grant_type": "refresh_token", "client_id": sb.client_id,
                                         "refresh_token": tok["refresh_token"]})
        secrets_seen = [params["code"], flow.verifier, tok["access_token"], tok["refresh_token"],
                        tok["id_token"], tok["access_token"].split(".")[2], "demo"]
        events = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = stream.readline()
            if not line:
                break
            text = line.decode().strip()
            if not text:
                continue
            for s in secrets_seen:
                check(s not in text, "an event line holds a secret")
            ev = json.loads(text)
            events.append(ev)
            if ev.get("kind") == "refresh":
                break
        conn.close()
        kinds = [e.get("kind") for e in events]
        for k in ("authorize", "login", "consent", "token-issued", "refresh"):
            check(k in kinds, "event %s seen (%s)" % (k, kinds))
        issued = [e for e in events if e.get("kind") == "token-issued"][0]
        check(issued["claims"]["scope"] == "openid patient/*.rs offline_access", "claims in event")

    def test_tokens_accepted_by_fhir_api(self):
        """The IdP's tokens pass the real token-validator behind the FHIR API."""
        validator = os.environ.get("SB_IDP_TEST_VALIDATOR", "")
        if not validator or not os.access(validator, os.X_OK):
            return "SKIP token-validator not built"
        sb, disc = self.sb, self.disc
        pid, _ = self.clinician_patient()
        cases = [("clinician", pid, "launch/patient openid fhirUser patient/*.rs", pid),
                 ("patient", None, "launch/patient openid fhirUser patient/*.rs", self.patient_id),
                 ("clinician", None, "openid fhirUser user/*.rs", pid)]
        for user, pick, scope, target in cases:
            flow, params, _ = full_flow(sb, disc, user, scope, pick=pick)
            tok = exchange(sb, disc, flow, params["code"]).json()
            for path in ["Patient/" + target, "Condition?patient=" + target + "&_count=1"]:
                r = sb.get(sb.fhir + path, headers={"Authorization": "Bearer " + tok["access_token"]})
                check(r.status == 200, "%s %s: GET %s -> %d %s" % (user, scope, path, r.status,
                                                                   r.body[:200]))
        r = sb.post(disc["token_endpoint"], {"grant_type": "client_credentials", "scope": "system/*.rs",
                                             "client_id": self.backend_id,
                                             "client_secret": self.backend_secret})
        tok = r.json()
        r = sb.get(sb.fhir + "Patient?_count=1", headers={"Authorization": "Bearer " + tok["access_token"]})
        check(r.status == 200, "system token: %d %s" % (r.status, r.body[:200]))

    def test_malformed_input(self):
        """Garbage in every IdP endpoint gets a 4xx, never a crash or a 5xx."""
        sb, disc = self.sb, self.disc
        rnd = __import__("random").Random(20261204)
        junk = ["%", "%zz", "%00", "%ff%fe", "a" * 6000, "%E9", "%C3%A9", "=", "&&&", "+", "x=%C3",
                "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "a.b.c", "..", "Bearer", ""]
        names = ["client_id", "redirect_uri", "state", "scope", "code", "code_verifier",
                 "grant_type", "refresh_token", "token", "tx", "step", "patient", "decision",
                 "id_token_hint", "post_logout_redirect_uri", "aud", "code_challenge"]
        endpoints = [disc["authorization_endpoint"], disc["token_endpoint"], disc["revocation_endpoint"],
                     disc["userinfo_endpoint"], disc["end_session_endpoint"] if "end_session_endpoint"
                     in disc else disc["authorization_endpoint"]]
        for i in range(150):
            url = rnd.choice(endpoints)
            pairs = "&".join("%s=%s" % (rnd.choice(names + junk), rnd.choice(junk))
                             for _ in range(rnd.randint(0, 6)))
            headers = {}
            if rnd.random() < 0.3:
                headers["Authorization"] = rnd.choice(["Basic " + rnd.choice(junk), "Bearer " + rnd.choice(junk),
                                                       "Basic Og==", "Basic " + base64.b64encode(b"%zz:%").decode()])
            if rnd.random() < 0.5:
                r = sb.request("GET", url + "?" + pairs, headers=headers)
            else:
                headers["Content-Type"] = rnd.choice(["application/x-www-form-urlencoded", "text/plain",
                                                      "application/x-www-form-urlencoded; charset=utf-8"])
                r = sb.request("POST", url, pairs, headers)
            check(400 <= r.status < 500 or r.status in (200, 302),
                  "request %d to %s: status %d" % (i, urllib.parse.urlsplit(url).path, r.status))
        # A large form body (libsoup itself refuses over-long request lines).
        r = sb.post(disc["token_endpoint"], {"grant_type": "refresh_token", "client_id": sb.client_id,
                                             "refresh_token": "r" * 1000000})
        check(r.status == 400 and r.json()["error"] == "invalid_grant", "1 MB refresh token")
        check(sb.get(disc["jwks_uri"]).status == 200, "still serving")

    def test_key_rotation(self):
        sb, disc = self.sb, self.disc
        old_kid = self.jwks["keys"][0]["kid"]
        flow, params, _ = full_flow(sb, disc, "patient", "openid patient/*.rs")
        old = exchange(sb, disc, flow, params["code"]).json()
        r = sb.request("POST", sb.root + "/_sandbox/rotate-keys")
        check(r.status == 200, "rotate: %d" % r.status)
        new_kid = r.json()["kid"]
        check(new_kid != old_kid, "new kid")
        jwks = sb.get(disc["jwks_uri"]).json()
        kids = [k["kid"] for k in jwks["keys"]]
        check(kids[0] == new_kid and old_kid in kids, "old key stays published: %s" % kids)
        check(rs256_verify(old["access_token"], jwks), "old token still verifies")
        flow, params, _ = full_flow(sb, disc, "patient", "openid patient/*.rs")
        new = exchange(sb, disc, flow, params["code"]).json()
        check(jwt_parts(new["access_token"])[0]["kid"] == new_kid, "new tokens use the new key")
        check(rs256_verify(new["access_token"], jwks), "new token verifies")
        validator = os.environ.get("SB_IDP_TEST_VALIDATOR", "")
        if validator and os.access(validator, os.X_OK):
            # The validator learns the new kid by refetching the JWKS.
            for t in (new, old):
                r = sb.get(sb.fhir + "Patient/" + self.patient_id,
                           headers={"Authorization": "Bearer " + t["access_token"]})
                check(r.status == 200, "token after rotation accepted: %d %s" % (r.status, r.body[:200]))
        self.kids_before_restart = kids

    def test_restart_keeps_keys_and_expired_code(self):
        # Restart on the same data dir with a 1-second code lifetime: keys
        # are kept, and a code older than its lifetime is refused.
        self.sb.stop()
        self.setup({"SMART_SANDBOX_CODE_LIFETIME": "1"})
        kids = [k["kid"] for k in self.jwks["keys"]]
        check(kids == self.kids_before_restart, "keys kept across restart")
        mode = os.stat(os.path.join(self.data_dir, "keys.json")).st_mode & 0o777
        check(mode == 0o600, "keys.json is private (%o)" % mode)
        flow, params, _ = full_flow(self.sb, self.disc, "patient", "openid patient/*.rs")
        time.sleep(2.2)
        r = exchange(self.sb, self.disc, flow, params["code"])
        check(r.status == 400 and r.json()["error"] == "invalid_grant", "expired code refused")
        check("expired" in r.json().get("error_description", ""), "says expired")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    exe, flavor = sys.argv[1], sys.argv[2]
    if not os.access(exe, os.X_OK):
        print("smart-sandbox not found at %s" % exe)
        return 77
    workdir = tempfile.mkdtemp(prefix="sb-idp-test-")
    t = IdpTests(exe, flavor, workdir)
    order = ["test_discovery", "test_clinician_flow", "test_picker_search_and_refusal",
             "test_untick_launch_patient", "test_authorize_post_and_login_lockout",
             "test_patient_flow", "test_loopback_redirect_any_port", "test_authorization_errors",
             "test_token_errors", "test_refresh_rotation", "test_client_credentials",
             "test_revocation", "test_introspection_and_logout", "test_faults",
             "test_events_hold_no_secrets", "test_tokens_accepted_by_fhir_api", "test_malformed_input",
             "test_key_rotation",
             "test_restart_keeps_keys_and_expired_code"]
    only = os.environ.get("SB_IDP_TEST_ONLY")
    failed = 0
    try:
        t0 = time.monotonic()
        t.setup()
        print("# %s: sandbox ready in %.1f s" % (flavor, time.monotonic() - t0))
        for i, name in enumerate(order, 1):
            if only and only not in name and name != "test_key_rotation":
                continue
            try:
                skip = getattr(t, name)()
                print("ok %d - %s/%s%s" % (i, flavor, name, " # " + skip if skip else ""))
            except Exception:
                failed += 1
                print("not ok %d - %s/%s" % (i, flavor, name))
                traceback.print_exc(file=sys.stdout)
                if t.sb is None or t.sb.proc is None or t.sb.proc.poll() is not None:
                    break
        print("1..%d" % len(order))
    finally:
        try:
            t.teardown()
        except AssertionError as e:
            failed += 1
            print("not ok - %s/shutdown: %s" % (flavor, e))
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
