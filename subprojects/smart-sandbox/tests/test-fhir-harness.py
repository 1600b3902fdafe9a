# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers for the FHIR-side smart-sandbox tests (test-fhir.py,
test-authz.py, test-import.py): start the real binary on 127.0.0.1 port 0
in a temporary data dir, talk HTTP to it, get tokens through its IdP.
Python standard library only."""

import base64
import configparser
import hashlib
import html.parser
import http.client
import json
import os
import queue
import secrets
import select
import signal
import socket
import subprocess
import threading
import time
import traceback
import urllib.parse

SKIP = 77
READY_TIMEOUT = 180      # the sanitizer build generates the population slowly
HTTP_TIMEOUT = 30
REDIRECT = "http://127.0.0.1:53682/oauth2redirect"


class TestFailure(AssertionError):
    pass


def check(cond, what):
    if not cond:
        raise TestFailure(what)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.raw = body
        self.body = body.decode("utf-8", errors="replace")

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body)


class Sandbox:
    """One smart-sandbox process."""

    def __init__(self, exe, data_dir, flavor="keycloak", validator=None, extra=()):
        self.exe = exe
        self.data_dir = data_dir
        self.flavor = flavor
        self.validator = validator
        self.extra = list(extra)
        self.proc = None
        self.stderr_path = os.path.join(os.path.dirname(data_dir.rstrip("/")),
                                        os.path.basename(data_dir.rstrip("/")) + ".stderr")
        self.stdout_lines = []

    def start(self):
        args = [self.exe, "--host", "127.0.0.1", "--port", "0", "--flavor", self.flavor,
                "--data-dir", self.data_dir] + self.extra
        if self.validator:
            args += ["--validator", self.validator]
        env = dict(os.environ)
        env.pop("SMART_SANDBOX_VALIDATOR", None)
        self.stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.stderr, env=env,
                                     start_new_session=True)
        deadline = time.monotonic() + READY_TIMEOUT
        buf = b""
        while True:
            left = deadline - time.monotonic()
            check(left > 0, "no ready line within %d s" % READY_TIMEOUT)
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if not r:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise TestFailure("smart-sandbox exited before it was ready (status %s): %s"
                                  % (self.proc.wait(), self.stderr_text()[-2000:]))
            buf += chunk
            if b"\n" not in buf:
                continue
            lines = buf.split(b"\n")
            buf = lines.pop()
            for line in lines:
                line = line.decode(errors="replace")
                self.stdout_lines.append(line)
                if line.startswith("smart-sandbox ready "):
                    fields = dict(kv.split("=", 1) for kv in line.split()[2:])
                    check(set(fields) == {"fhir", "issuer", "client_id"}, "ready line fields: %s" % line)
                    self.fhir = fields["fhir"]
                    self.issuer = fields["issuer"]
                    self.client_id = fields["client_id"]
                    u = urllib.parse.urlsplit(self.fhir)
                    self.root = "%s://%s" % (u.scheme, u.netloc)
                    self._drain()
                    return self

    def _drain(self):
        def run(f):
            try:
                while True:
                    data = f.read(4096)
                    if not data:
                        break
                    self.stdout_lines.extend(data.decode(errors="replace").splitlines())
            except (OSError, ValueError):
                pass
        threading.Thread(target=run, args=(self.proc.stdout,), daemon=True).start()

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def children(self):
        """Pids of the sandbox's child processes (the validator workers)."""
        kids = []
        try:
            for tid in os.listdir("/proc/%d/task" % self.proc.pid):
                with open("/proc/%d/task/%s/children" % (self.proc.pid, tid)) as f:
                    kids += [int(p) for p in f.read().split()]
        except OSError:
            pass
        return kids

    def stop(self):
        status = None
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                status = self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise TestFailure("smart-sandbox did not stop on SIGTERM")
        elif self.proc:
            status = self.proc.returncode
        self.proc = None
        if getattr(self, "stderr", None):
            self.stderr.close()
            self.stderr = None
        # Sanitizer reports, GLib criticals and warnings are failures.
        text = self.stderr_text()
        for bad in ("-CRITICAL", "-WARNING", "runtime error:", "AddressSanitizer", "LeakSanitizer"):
            check(bad not in text, "smart-sandbox stderr has %s:\n%s" % (bad, text[-3000:]))
        return status

    # ---- HTTP ----

    def request(self, method, url, body=None, headers=None):
        u = urllib.parse.urlsplit(url)
        check(u.hostname == "127.0.0.1", "tests only talk to 127.0.0.1, not %s" % u.hostname)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=HTTP_TIMEOUT)
        path = u.path + ("?" + u.query if u.query else "")
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        resp = Response(r.status, r.getheaders(), r.read())
        conn.close()
        return resp

    def get(self, url, token=None, params=None, headers=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        return self.request("GET", url, headers=h)

    def post_form(self, url, fields, token=None, headers=None):
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        if token:
            h["Authorization"] = "Bearer " + token
        h.update(headers or {})
        return self.request("POST", url, urllib.parse.urlencode(fields), h)

    def post_json(self, url, obj):
        return self.request("POST", url, json.dumps(obj), {"Content-Type": "application/json"})

    def fhir_get(self, path, token, params=None, headers=None):
        return self.get(self.fhir + path, token, params, headers)

    def faults(self, **kw):
        r = self.post_json(self.root + "/_sandbox/faults", kw)
        check(r.status == 200, "faults accepted: %d %s" % (r.status, r.body))

    def clear_faults(self):
        r = self.request("DELETE", self.root + "/_sandbox/faults")
        check(r.status == 200, "faults cleared")

    def stats(self):
        r = self.get(self.root + "/_sandbox/stats")
        check(r.status == 200, "stats status %d" % r.status)
        return r.json()

    def config(self):
        cp = configparser.RawConfigParser(strict=False, interpolation=None)
        cp.optionxform = str
        with open(os.path.join(self.data_dir, "sandbox.ini"), encoding="utf-8") as f:
            cp.read_string(f.read())
        return cp

    def discovery(self):
        r = self.get(self.fhir + ".well-known/smart-configuration")
        check(r.status == 200, "smart-configuration status %d" % r.status)
        return r.json()

    # ---- tokens through the sandbox's own IdP ----

    def backend_token(self, scope):
        cfg = self.config()
        secret = cfg.get("sandbox", "backend_client_secret")
        disc = self.discovery()
        basic = base64.b64encode(("smart-backend:" + secret).encode()).decode()
        r = self.post_form(disc["token_endpoint"], {"grant_type": "client_credentials", "scope": scope},
                           headers={"Authorization": "Basic " + basic})
        check(r.status == 200, "client_credentials status %d: %s" % (r.status, r.body[:300]))
        return r.json()["access_token"]

    def user_token(self, username, scope, pick=None, full=False):
        """Authorization code + PKCE through the login/picker/consent pages:
        the access token, or with full=True the whole token response."""
        disc = self.discovery()
        verifier = b64url(secrets.token_bytes(48))
        state = b64url(secrets.token_bytes(16))
        params = {"response_type": "code", "client_id": self.client_id, "redirect_uri": REDIRECT,
                  "scope": scope, "state": state, "aud": self.fhir,
                  "code_challenge": b64url(hashlib.sha256(verifier.encode()).digest()),
                  "code_challenge_method": "S256"}
        auth = disc["authorization_endpoint"]
        r = self.get(auth, params=params)
        check(r.status == 200, "login page status %d" % r.status)
        form = find_form(r.body, "password")
        r = self.submit(auth, form, [("username", username), ("password", "demo"), ("decision", "login")])
        for _ in range(3):
            if r.status in (302, 303):
                break
            check(r.status == 200, "authorization page status %d: %s" % (r.status, r.body[:300]))
            page = parse_forms(r.body)
            if form_named(page, "patient"):
                f = form_named(page, "patient")
                check(pick is not None, "unexpected patient picker")
                r = self.submit(auth, f, [("patient", pick), ("decision", "continue")])
            elif form_named(page, "scope"):
                f = form_named(page, "scope")
                boxes = [i["value"] for i in f["inputs"] if i.get("name") == "scope"]
                r = self.submit(auth, f, [("scope", b) for b in boxes] + [("decision", "allow")])
            else:
                raise TestFailure("unexpected page: %s" % r.body[:300])
        check(r.status in (302, 303), "authorization ends with a redirect")
        loc = r.header("Location")
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        check(q.get("state") == state and "code" in q, "redirect carries code and state")
        r = self.post_form(disc["token_endpoint"], {
            "grant_type": "authorization_code", "code": q["code"], "redirect_uri": REDIRECT,
            "client_id": self.client_id, "code_verifier": verifier})
        check(r.status == 200, "token status %d: %s" % (r.status, r.body[:300]))
        return r.json() if full else r.json()["access_token"]

    def submit(self, base, form, fields):
        hidden = [(i["name"], i.get("value", "")) for i in form["inputs"]
                  if i.get("type") == "hidden" and i.get("name")]
        action = urllib.parse.urljoin(base, form["action"] or base)
        return self.post_form(action, hidden + fields)


class FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "inputs": []})
        elif tag in ("input", "button") and self.forms:
            self.forms[-1]["inputs"].append(a)


def parse_forms(body):
    p = FormParser()
    p.feed(body)
    return p.forms


def form_named(forms, name):
    for f in forms:
        if any(i.get("name") == name for i in f["inputs"]):
            return f
    return None


def find_form(body, name):
    f = form_named(parse_forms(body), name)
    check(f is not None, "a form with an input named %s" % name)
    return f


class EventStream:
    """Reads GET /_sandbox/events (chunked JSON lines) on a thread."""

    def __init__(self, sb):
        u = urllib.parse.urlsplit(sb.root)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=HTTP_TIMEOUT)
        self.sock.sendall(b"GET /_sandbox/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        self.events = queue.Queue()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        first = self.next(10)
        check(first is not None and first.get("kind") == "hello", "event stream starts with hello")

    def _run(self):
        buf = b""
        try:
            f = self.sock.makefile("rb")
            while True:
                line = f.readline()
                if not line:
                    break
                buf += line
                # Chunk-size lines are hex; event lines are JSON objects.
                s = line.strip()
                if s.startswith(b"{"):
                    try:
                        self.events.put(json.loads(s))
                    except ValueError:
                        self.events.put({"kind": "unparsable", "raw": s.decode(errors="replace")})
        except OSError:
            pass

    def next(self, timeout=10):
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def run_tests(title, tests):
    """TAP-ish runner: each test is (name, fn); returns the exit status."""
    failed = 0
    for i, (name, fn) in enumerate(tests, 1):
        t0 = time.monotonic()
        try:
            fn()
            print("ok %d - %s/%s (%.1f s)" % (i, title, name, time.monotonic() - t0), flush=True)
        except Exception:
            failed += 1
            print("not ok %d - %s/%s" % (i, title, name), flush=True)
            traceback.print_exc()
    print("1..%d" % len(tests))
    return 1 if failed else 0


def resources(bundle):
    return [e["resource"] for e in bundle.get("entry", []) if e.get("search", {}).get("mode") == "match"]


def patient_of(res):
    if res["resourceType"] == "Patient":
        return res["id"]
    for k in ("subject", "patient"):
        ref = res.get(k, {}).get("reference", "")
        if ref.startswith("Patient/"):
            return ref.split("/", 1)[1]
    return None
