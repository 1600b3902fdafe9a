#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Interop test: smart-viewer-cli signs in at an IdP nobody here wrote.

oidc-provider (npm, pinned by package-lock.json, installed into the build
folder) runs as a SMART IdP; smart-sandbox trusts it with --external-issuer,
so the real token-validator verifies its tokens. The CLI signs in through
the loopback flow with this script acting as the browser; then `status`
must show the patient, and the sandbox must serve Patient/<id> for an access
token from the same IdP (obtained by this script in a second, independent
sign-in: the CLI has no command that reads a resource yet, and a token is
never printed by the CLI).

Usage: run-interop.py --cli PATH --sandbox PATH --node-modules DIR [--node PATH]

Exit 0 on success, 1 on failure, 77 (skip) when Node.js is missing or too
old, when the npm packages are not installed, or when no private D-Bus
session with gnome-keyring can be started. Every server listens on
127.0.0.1 only and is stopped at the end; the whole run is bounded by a
watchdog. Nothing secret (token, code, verifier, password) is ever printed.
"""

import argparse
import base64
import ctypes
import hashlib
import html.parser
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
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

SKIP = 77
CLIENT_ID = "smart-viewer"
PROFILE = "oidc-interop"
USER, PASSWORD = "patient", "demo"
PATIENT = "patient-001"           # POPULATION.md: the demo patient
OTHER_PATIENT = "patient-003"     # not linked to patient-001
MIN_NODE = (18, 12)               # oidc-provider 8.x supports Node 18.12+
WATCHDOG_SECONDS = 150
HERE = os.path.dirname(os.path.abspath(__file__))
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}")


class Failure(Exception):
    pass


class Timeout(Exception):
    pass


def log(message):
    print(f"interop: {message}", flush=True)


def skip(message):
    print(f"SKIP: {message}", flush=True)
    sys.exit(SKIP)


def redact(url):
    """What may be logged of a URL: never its query (codes, state)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


# ---------------------------------------------------------------- processes

def die_with_parent():
    """Runs in the child before exec: should this script be killed outright,
    the servers it started go too (prctl PR_SET_PDEATHSIG)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)


class Children:
    """Every process started here, stopped in reverse order at the end."""

    def __init__(self):
        self.procs = []

    def start(self, name, argv, **kwargs):
        proc = subprocess.Popen(argv, preexec_fn=die_with_parent, **kwargs)
        self.procs.append((name, proc))
        return proc

    def stop_all(self):
        for name, proc in reversed(self.procs):
            if proc.poll() is not None:
                continue
            try:
                if proc.stdin:
                    proc.stdin.close()
            except OSError:
                pass
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop on SIGTERM; killing it")
                proc.kill()
                proc.wait(timeout=5)
        self.procs.clear()


def read_line_matching(proc, pattern, timeout, what, seen):
    """Reads proc's stdout lines (kept in `seen`) until one matches."""
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    buffer = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Failure(f"{what}: no ready line within {timeout} s")
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            status = proc.wait()
            detail = ""
            if proc.stderr is not None:
                detail = ": " + proc.stderr.read().decode("utf-8", "replace").strip()[-800:]
            raise Failure(f"{what} exited (status {status}) before it was ready{detail}")
        buffer += chunk
        while b"\n" in buffer:
            raw, buffer = buffer.split(b"\n", 1)
            line = raw.decode("utf-8", "replace")
            seen.append(line)
            match = re.search(pattern, line)
            if match:
                # The rest of the output is drained by a reader below.
                return match, buffer


def drain(proc, seen, initial=b""):
    """Reads what is left of proc's stdout, for the leak check."""
    data = initial
    try:
        rest, _ = proc.communicate(timeout=30)
        data += rest or b""
    except subprocess.TimeoutExpired:
        proc.kill()
        rest, _ = proc.communicate()
        data += rest or b""
    seen.extend(data.decode("utf-8", "replace").splitlines())


# ------------------------------------------------------------------ browser

class Form(html.parser.HTMLParser):
    """The first <form> of a page: its action and its named inputs."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = {}
        self.done = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.done:
            return
        if tag == "form" and self.action is None:
            self.action = attrs.get("action", "")
        elif tag == "input" and self.action is not None and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form" and self.action is not None:
            self.done = True


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Browser:
    """Just enough of a browser for oidc-provider's pages: cookies, forms,
    redirects followed one at a time so every hop is checked."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect(),
            urllib.request.ProxyHandler({}))

    def request(self, url, data=None):
        host = urllib.parse.urlsplit(url).hostname
        if host != "127.0.0.1":
            raise Failure(f"the sign-in left the loopback host: {redact(url)}")
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body)
        try:
            with self.opener.open(req, timeout=15) as resp:
                return resp.status, resp.headers, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode("utf-8", "replace")

    def follow(self, url, data=None, stop_at=None, max_hops=12):
        """Requests url and follows redirects; stops before a URL starting
        with stop_at (returned unrequested) or at the first page."""
        for _ in range(max_hops):
            if stop_at and url.startswith(stop_at):
                return url, None, None
            status, headers, body = self.request(url, data)
            data = None
            if status in (301, 302, 303, 307, 308):
                url = urllib.parse.urljoin(url, headers["Location"])
                continue
            return url, status, body
        raise Failure("too many redirects during sign-in")

    def submit(self, page_url, body, fields):
        form = Form()
        form.feed(body)
        if form.action is None:
            raise Failure(f"no form on the page at {redact(page_url)}")
        values = dict(form.fields)
        values.update(fields)
        return urllib.parse.urljoin(page_url, form.action), values

    def sign_in(self, authorize_url, stop_at=None):
        """Login, then consent; returns the final URL (the redirect URI with
        the code) and, when it was requested, the page it served."""
        url, status, body = self.follow(authorize_url, stop_at=stop_at)
        steps = []
        for _ in range(4):
            if status is None or url.startswith(stop_at or "\0") or "/interaction/" not in url:
                break
            if status != 200:
                raise Failure(f"the IdP answered {status} at {redact(url)}: {page_error(body)}")
            if 'id="login"' in body:
                steps.append("login")
                action, values = self.submit(url, body, {"username": USER, "password": PASSWORD})
            elif 'id="consent"' in body:
                steps.append("consent")
                action, values = self.submit(url, body, {})
            else:
                raise Failure(f"unexpected page at {redact(url)}: {page_error(body)}")
            url, status, body = self.follow(action, data=values, stop_at=stop_at)
        return url, status, body, steps


def page_error(body):
    match = re.search(r'id="error">([^<]*)<', body or "")
    return match.group(1) if match else "(no error text)"


# ------------------------------------------------------------- http helpers

def http_json(url, data=None, token=None):
    headers = {"Accept": "application/fhir+json, application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=15) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, None


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt_claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def own_sign_in(issuer, fhir):
    """A second sign-in, independent of the CLI: authorization code + PKCE
    with the same public client. Returns the token response (in memory)."""
    status, config = http_json(f"{issuer}/.well-known/openid-configuration")
    if status != 200:
        raise Failure(f"the IdP's OpenID configuration answered {status}")
    verifier = b64url(secrets.token_bytes(32))
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    state = b64url(secrets.token_bytes(16))
    redirect_uri = "http://127.0.0.1:9/oauth2redirect"   # never requested: we stop at it
    query = urllib.parse.urlencode({
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": "openid fhirUser launch/patient offline_access patient/Patient.rs patient/Condition.rs",
        "state": state,
        "aud": fhir,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    })
    url, _, _, steps = Browser().sign_in(f"{config['authorization_endpoint']}?{query}",
                                         stop_at=redirect_uri)
    if not url.startswith(redirect_uri):
        raise Failure("the second sign-in did not come back to the redirect URI")
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    if params.get("state") != state:
        raise Failure("the second sign-in came back with a wrong state")
    if "code" not in params:
        raise Failure(f"the second sign-in came back without a code: {params.get('error', '?')}")
    if params.get("iss") not in (None, issuer):
        raise Failure("the second sign-in came back with a wrong iss")
    status, tokens = http_json(config["token_endpoint"], data={
        "grant_type": "authorization_code",
        "code": params["code"],
        "redirect_uri": redirect_uri,
        "client_id": CLIENT_ID,
        "code_verifier": verifier,
    })
    if status != 200:
        raise Failure(f"the token endpoint answered {status}: {(tokens or {}).get('error', '?')}")
    log(f"second sign-in done ({' + '.join(steps)}), granted: {tokens.get('scope')}")
    return config, tokens


def refused_requests(config, fhir):
    """What the IdP must refuse for the SMART profile: no PKCE, plain PKCE,
    and a redirect that is not the client's loopback one."""
    redirect_uri = "http://127.0.0.1:9/oauth2redirect"
    base = {
        "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": redirect_uri,
        "scope": "openid launch/patient patient/Patient.rs", "state": "s", "aud": fhir,
    }
    cases = [
        ("without PKCE", base),
        ("with plain PKCE", dict(base, code_challenge="x" * 43, code_challenge_method="plain")),
    ]
    for what, params in cases:
        url = f"{config['authorization_endpoint']}?{urllib.parse.urlencode(params)}"
        final, _, _ = Browser().follow(url, stop_at=redirect_uri)
        error = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(final).query)).get("error")
        check(final.startswith(redirect_uri) and error == "invalid_request",
              f"an authorization request {what} is refused ({error})")
    params = dict(base, redirect_uri="http://127.0.0.1:9/elsewhere",
                  code_challenge="x" * 43, code_challenge_method="S256")
    _, status, _ = Browser().follow(f"{config['authorization_endpoint']}?{urllib.parse.urlencode(params)}",
                                    stop_at="http://127.0.0.1:9/")
    check(status == 400, f"an unregistered redirect URI is refused with an error page ({status})")


# ---------------------------------------------------------------- the test

def provider_events(tmp):
    """The event lines oidc-provider has logged so far."""
    with open(os.path.join(tmp, "oidc-provider.log"), encoding="utf-8", errors="replace") as f:
        return [line.split(" event ", 1)[1].strip() for line in f if " event " in line]


def run_cli(cli, *args, timeout=30):
    proc = subprocess.run([cli, *args], stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=timeout, check=False)
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


def check(condition, message):
    if not condition:
        raise Failure(message)
    log(f"ok: {message}")


def interop(args, tmp, children, captured):
    node_modules = os.path.abspath(args.node_modules)

    # 1. oidc-provider on a free loopback port.
    provider_err = open(os.path.join(tmp, "oidc-provider.log"), "wb")
    provider = children.start("oidc-provider", [
        args.node, os.path.join(HERE, "oidc-smart-provider.mjs"),
        "--node-modules", node_modules, "--port", "0"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=provider_err)
    seen = []
    match, _ = read_line_matching(provider, r"^oidc-provider ready issuer=(\S+)$", 30,
                                  "oidc-provider", seen)
    issuer = match.group(1)
    check(issuer.startswith("http://127.0.0.1:"), f"oidc-provider is up at {issuer}")

    # 2. smart-sandbox trusting it.
    sandbox_out = []
    sandbox_err = open(os.path.join(tmp, "smart-sandbox.log"), "wb")
    sandbox = children.start("smart-sandbox", [
        args.sandbox, "--port", "0", "--external-issuer", issuer,
        "--external-client-id", CLIENT_ID, "--data-dir", os.path.join(tmp, "sandbox")],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=sandbox_err)
    match, _ = read_line_matching(
        sandbox, r"^smart-sandbox ready fhir=(\S+) issuer=(\S+) client_id=(\S+)$", 90,
        "smart-sandbox", sandbox_out)
    fhir, sb_issuer, sb_client = match.groups()
    check(sb_issuer == issuer and sb_client == CLIENT_ID,
          f"smart-sandbox is up at {fhir}, trusting {sb_issuer} for {sb_client}")
    captured.append(("smart-sandbox stdout", sandbox_out))

    status, body = http_json(f"{fhir}Patient/{PATIENT}")
    check(status == 401, f"Patient/{PATIENT} without a token is refused ({status})")

    # 3. The CLI: a profile, then the loopback sign-in with us as the browser.
    code, out, err = run_cli(args.cli, "profiles", "add", PROFILE, "--fhir", fhir,
                             "--client-id", CLIENT_ID, "--idp", "generic", "--redirect", "browser")
    captured.append(("profiles add", [out, err]))
    check(code == 0, f"`profiles add` succeeded (exit {code}{': ' + err.strip() if code else ''})")

    login = children.start("smart-viewer-cli login", [
        args.cli, "login", "--profile", PROFILE, "--no-browser"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    login_out = []
    match, rest = read_line_matching(login, r"^Open this URL to sign in: (\S+)$", 30,
                                     "smart-viewer-cli login", login_out)
    authorize_url = match.group(1)
    check(authorize_url.startswith(f"{issuer}/"),
          f"the CLI sends the browser to the IdP ({redact(authorize_url)})")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize_url).query))
    check(query.get("code_challenge_method") == "S256" and query.get("aud") == fhir
          and re.match(r"^http://127\.0\.0\.1:\d+/oauth2redirect$", query.get("redirect_uri", "")),
          "the authorization request has PKCE S256, aud and a loopback redirect")
    log(f"the CLI asks for: {query.get('scope')}")

    url, status, body, steps = Browser().sign_in(authorize_url)
    check(url.startswith(query["redirect_uri"]) and status is not None and status < 400,
          f"the browser reached the CLI's loopback listener after {' + '.join(steps)} "
          f"(HTTP {status})")
    try:
        login_rc = login.wait(timeout=60)
    except subprocess.TimeoutExpired as error:
        raise Failure("`login` did not finish within 60 s of the redirect") from error
    login_err = login.stderr.read().decode("utf-8", "replace")
    drain(login, login_out, rest)
    captured.append(("login", login_out + [login_err]))
    check(login_rc == 0, f"`login` succeeded (exit {login_rc}{': ' + login_err.strip() if login_rc else ''})")

    code, out, err = run_cli(args.cli, "status", "--profile", PROFILE)
    captured.append(("status", [out, err]))
    log("status:\n  " + "\n  ".join(out.strip().splitlines()))
    check(code == 0, f"`status` succeeded (exit {code})")
    check(PATIENT in out, f"`status` shows the patient {PATIENT}")

    code, out, err = run_cli(args.cli, "claims", "--profile", PROFILE)
    captured.append(("claims", [out, err]))
    check(code == 0 and issuer in out and PATIENT in out,
          "`claims` shows the access token's issuer and patient claim")

    # The CLI itself reads the patient, and is refused another one.
    code, out, err = run_cli(args.cli, "get", "--profile", PROFILE, f"Patient/{PATIENT}")
    captured.append(("get", [out, err]))
    try:
        read_id = json.loads(out).get("id") if code == 0 else None
    except ValueError:
        read_id = None
    check(code == 0 and read_id == PATIENT,
          f"`get Patient/{PATIENT}` reads the patient through the sandbox (exit {code})")
    code, out, err = run_cli(args.cli, "get", "--profile", PROFILE, f"Patient/{OTHER_PATIENT}")
    captured.append(("get-other", [out, err]))
    check(code != 0, f"`get Patient/{OTHER_PATIENT}` (another patient) is refused (exit {code})")

    # The keyring keeps only the refresh token, so `status`, `claims` and `get`
    # each refreshed; oidc-provider rotates refresh tokens, so the second
    # worked only if the CLI stored the rotated one.
    grants = provider_events(tmp)
    check(grants.count("grant.success grant_type=authorization_code client=smart-viewer") == 1
          and grants.count("grant.success grant_type=refresh_token client=smart-viewer") >= 3
          and "grant.revoked" not in grants,
          "the CLI redeemed the code once and then refreshed with rotated refresh tokens")

    # 4. The sandbox's validator accepts this IdP's access tokens. The token
    #    comes from our own, second sign-in: the CLI never prints one.
    config, tokens = own_sign_in(issuer, fhir)
    access = tokens["access_token"]
    claims = jwt_claims(access)
    check(claims.get("iss") == issuer and claims.get("client_id") == CLIENT_ID
          and claims.get("patient") == PATIENT and claims.get("aud") == fhir,
          "oidc-provider's access token is a JWT with iss, client_id, aud and patient")
    check(tokens.get("patient") == PATIENT, "the token response carries the patient context")
    check(bool(tokens.get("refresh_token")), "offline_access gave a refresh token")

    refused_requests(config, fhir)

    status, resource = http_json(f"{fhir}Patient/{PATIENT}", token=access)
    check(status == 200 and isinstance(resource, dict)
          and resource.get("resourceType") == "Patient" and resource.get("id") == PATIENT,
          f"the sandbox serves Patient/{PATIENT} for oidc-provider's token ({status})")
    status, _ = http_json(f"{fhir}Patient/{OTHER_PATIENT}", token=access)
    check(status in (401, 403, 404),
          f"the same token cannot read another patient's record ({status})")

    status, refreshed = http_json(config["token_endpoint"], data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
        "client_id": CLIENT_ID})
    check(status == 200 and refreshed.get("access_token") not in (None, access),
          f"the refresh token is redeemed for a new access token ({status})")
    status, _ = http_json(f"{fhir}Patient/{PATIENT}", token=refreshed["access_token"])
    check(status == 200, f"the refreshed access token is accepted too ({status})")

    # 5. Sign out through the CLI (it revokes at the IdP).
    code, out, err = run_cli(args.cli, "logout", "--profile", PROFILE)
    captured.append(("logout", [out, err]))
    check(code == 0, f"`logout` succeeded (exit {code}{': ' + err.strip() if code else ''})")
    check("grant.revoked" in provider_events(tmp), "`logout` revoked the grant at oidc-provider")
    code, out, err = run_cli(args.cli, "claims", "--profile", PROFILE)
    captured.append(("claims after logout", [out, err]))
    check(code != 0, f"after `logout` there is no session to read (exit {code})")

    # The sandbox stops cleanly on SIGTERM (under the sanitizers, a leak or
    # an error at exit shows up here).
    sandbox.terminate()
    try:
        sandbox_rc = sandbox.wait(timeout=20)
    except subprocess.TimeoutExpired as error:
        raise Failure("smart-sandbox did not stop within 20 s of SIGTERM") from error
    drain(sandbox, sandbox_out)
    check(sandbox_rc == 0, f"smart-sandbox stopped cleanly on SIGTERM (exit {sandbox_rc})")

    # Nothing printed anywhere looks like a token.
    secrets_seen = {access, refreshed["access_token"], tokens["refresh_token"]}
    children.stop_all()
    provider_err.close()
    sandbox_err.close()
    for name in ("oidc-provider.log", "smart-sandbox.log"):
        with open(os.path.join(tmp, name), encoding="utf-8", errors="replace") as f:
            captured.append((name, [f.read()]))
    for name, texts in captured:
        text = "\n".join(texts)
        if JWT_RE.search(text) or any(s in text for s in secrets_seen):
            raise Failure(f"something that looks like a token was printed by {name}")
    log("ok: no token in any captured output")


def with_private_session(argv):
    """Re-runs this script inside its own D-Bus session with an unlocked,
    throw-away gnome-keyring, the way tests/run-headless.sh does for the
    whole suite: the CLI keeps its session in the keyring."""
    for tool in ("dbus-run-session", "gnome-keyring-daemon"):
        if shutil.which(tool) is None:
            skip(f"{tool} is not installed (Debian packages dbus, gnome-keyring)")
    env = dict(os.environ, SV_INTEROP_PRIVATE_SESSION="1")
    # Its own process group, so that a timeout or Ctrl+C here reaches the
    # bus, the inner run (which then cleans up) and every server at once.
    proc = subprocess.Popen(["dbus-run-session", "--", sys.executable, *argv],
                            env=env, start_new_session=True)

    def forward(signum, frame):
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        status = proc.wait(timeout=WATCHDOG_SECONDS + 30)
        # Killed by a signal: a failure, never a pass or a skip.
        return status if status >= 0 else 1
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        print("FAIL: the interop test overran its time limit", flush=True)
        return 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cli", required=True)
    parser.add_argument("--sandbox", required=True)
    parser.add_argument("--node-modules", required=True)
    parser.add_argument("--node", default=None)
    args = parser.parse_args()

    args.node = args.node or shutil.which("node") or shutil.which("nodejs")
    if args.node is None:
        skip("Node.js is not installed (Debian packages nodejs and npm); "
             "the oidc-provider interop test needs it")
    version = subprocess.run([args.node, "--version"], capture_output=True, text=True,
                             timeout=30, check=False).stdout.strip()
    numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:2])
    if len(numbers) < 2 or numbers < MIN_NODE:
        skip(f"Node.js {version or '?'} is too old; oidc-provider 8 needs "
             f"{MIN_NODE[0]}.{MIN_NODE[1]} or newer")
    if not os.path.isfile(os.path.join(args.node_modules, "oidc-provider", "package.json")):
        skip(f"oidc-provider is not installed in {args.node_modules}: `make check` installs it "
             "with `npm ci` from tests/interop/package-lock.json")
    for path in (args.cli, args.sandbox):
        if not os.access(path, os.X_OK):
            print(f"FAIL: {path} is not an executable", flush=True)
            return 1

    if os.environ.get("SV_INTEROP_PRIVATE_SESSION") != "1":
        return with_private_session(sys.argv)

    def watchdog(signum, frame):
        raise Timeout(signum)

    signal.signal(signal.SIGALRM, watchdog)
    signal.signal(signal.SIGTERM, watchdog)
    signal.alarm(WATCHDOG_SECONDS)

    children = Children()
    tmp = tempfile.mkdtemp(prefix="sv-interop.")
    status = 1
    try:
        # A throw-away home: profiles, keyring and caches start empty.
        home = os.path.join(tmp, "home")
        for sub in (".config", ".local/share", ".cache", ".local/state", "runtime"):
            os.makedirs(os.path.join(home, sub), mode=0o700)
        os.environ.update({
            "HOME": home,
            "XDG_CONFIG_HOME": os.path.join(home, ".config"),
            "XDG_DATA_HOME": os.path.join(home, ".local/share"),
            "XDG_CACHE_HOME": os.path.join(home, ".cache"),
            "XDG_STATE_HOME": os.path.join(home, ".local/state"),
            "XDG_RUNTIME_DIR": os.path.join(home, "runtime"),
        })
        for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
            os.environ.pop(name, None)
        # It forks a daemon that lives as long as our private bus does,
        # like tests/run-headless.sh.
        keyring = subprocess.run(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
            input=b"sv-interop-keyring", capture_output=True, timeout=20, check=False)
        match = re.search(rb"^GNOME_KEYRING_CONTROL=(\S+)$", keyring.stdout, re.MULTILINE)
        if keyring.returncode != 0:
            raise Failure(f"gnome-keyring-daemon did not start (exit {keyring.returncode})")
        # With XDG_RUNTIME_DIR set it uses $XDG_RUNTIME_DIR/keyring and
        # prints nothing.
        if match is not None:
            os.environ["GNOME_KEYRING_CONTROL"] = match.group(1).decode()

        interop(args, tmp, children, [])
        print("PASS: smart-viewer-cli signed in at oidc-provider and smart-sandbox "
              "accepted its tokens", flush=True)
        status = 0
    except Failure as error:
        print(f"FAIL: {error}", flush=True)
        for name in ("oidc-provider.log", "smart-sandbox.log"):
            path = os.path.join(tmp, name)
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    tail = f.read()[-2000:]
                print(f"--- last lines of {name} ---\n{tail}", flush=True)
    except Timeout as stop:
        if stop.args[0] == signal.SIGALRM:
            print(f"FAIL: the interop test did not finish within {WATCHDOG_SECONDS} s", flush=True)
        else:
            print("FAIL: the interop test was interrupted", flush=True)
    finally:
        signal.alarm(0)
        children.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
