#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""smart-viewer-cli summary against the offline sandbox, compared with golden
files. The script plays the browser: it signs the clinician in on the
sandbox's pages (user-level scopes, so any patient of the panel can be
read), then prints the summary of a few known patients as JSON. Volatile
values (the port and data store id in URLs, ages, the fetch time) are
normalised before the comparison.

Usage: test-cli-summary.py CLI SANDBOX GOLDEN_DIR
With SV_UPDATE_GOLDEN=1 the golden files are written instead."""

import html.parser
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

PATIENTS = ["patient-001", "patient-006", "patient-012", "patient-015", "patient-016"]
SCOPES = ("openid fhirUser offline_access user/Patient.read user/Condition.read "
          "user/MedicationStatement.read user/MedicationRequest.read user/Medication.read")
SKIP = 77


class FormParser(html.parser.HTMLParser):
    """The first form of a page: its action and the values a browser sends."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = []
        self.in_form = False
        self.done = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done and a.get("role") != "search":
            self.action = a.get("action")
            self.in_form = True
        elif tag == "input" and self.in_form:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if a.get("name"):
                self.fields.append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form = False
            self.done = True


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def browse(url, cli):
    """Follows the sign-in address like a person at a browser would."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(url, timeout=20)
    for _ in range(6):
        body = page.read().decode("utf-8", "replace")
        if page.geturl().startswith("http://127.0.0.1") and "/oauth2redirect" in page.geturl():
            return
        form = FormParser()
        form.feed(body)
        if form.action is None:
            fail("no form on " + page.geturl())
        fields = list(form.fields)
        names = [name for name, _ in fields]
        if "username" in names:
            fields = [(n, v) for n, v in fields if n not in ("username", "password")]
            fields += [("username", "clinician"), ("password", "demo"), ("decision", "login")]
        elif "scope" in names:
            fields.append(("decision", "allow"))
        else:
            fields.append(("decision", "continue"))
        action = urllib.parse.urljoin(page.geturl(), form.action)
        page = opener.open(action, data=urllib.parse.urlencode(fields).encode(), timeout=20)
        if cli.poll() is not None:
            return
    fail("the sign-in did not finish")


def normalise(text):
    data = json.loads(text)
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)
    text = re.sub(r"http://127\.0\.0\.1:\d+/datastore/[0-9a-f]{32}/", "http://127.0.0.1:PORT/datastore/ID/", text)
    text = re.sub(r"\(\d+ y\)", "(AGE y)", text)
    text = re.sub(r'"age": \d+', '"age": "AGE"', text)
    text = re.sub(r'"lastFetched": "[^"]*"', '"lastFetched": "TIME"', text)
    return text + "\n"


def main():
    cli, sandbox, golden_dir = sys.argv[1:4]
    if not os.path.exists(sandbox):
        print("SKIP: smart-sandbox is not built (configure with -Dcompanions=true)")
        return SKIP
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        print("SKIP: no session bus and so no keyring (run through tests/run-headless.sh); "
              "the CLI keeps its sign-in only there")
        return SKIP

    tmp = tempfile.mkdtemp(prefix="sv-cli-summary-")
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "config"), LC_ALL="C.UTF-8", LANGUAGE="", TZ="UTC")
    proc = subprocess.Popen([sandbox, "--port", "0", "--data-dir", os.path.join(tmp, "sandbox")],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        ready = proc.stdout.readline()
        m = re.match(r"smart-sandbox ready fhir=(\S+) issuer=(\S+) client_id=(\S+)", ready)
        if not m:
            fail("the sandbox did not start: " + ready)
        fhir, issuer, client_id = m.groups()

        run = lambda *args: subprocess.run([cli, *args], env=env, capture_output=True, text=True, timeout=120)
        r = run("profiles", "add", "sandbox", "--fhir", fhir, "--client-id", client_id, "--idp", "keycloak",
                "--issuer", issuer, "--scope", SCOPES, "--redirect", "browser")
        if r.returncode != 0:
            fail("profiles add: " + r.stderr)

        login = subprocess.Popen([cli, "login", "--profile", "sandbox", "--no-browser", "--timeout", "60"],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        url = None
        deadline = time.monotonic() + 30
        lines = []
        while url is None and time.monotonic() < deadline:
            line = login.stdout.readline()
            if not line:
                break
            lines.append(line)
            found = re.search(r"(http://127\.0\.0\.1:\d+/\S*auth\S*)", line)
            if found:
                url = found.group(1)
        if url is None:
            login.kill()
            fail("login printed no address: " + "".join(lines))
        browse(url, login)
        out, _ = login.communicate(timeout=60)
        if login.returncode != 0:
            fail("login exited %d: %s" % (login.returncode, out))
        if "keyring" in out.lower() and "not" in out.lower():
            print("SKIP: no usable keyring, so the sign-in is not kept for the next command: " + out)
            return SKIP

        update = os.environ.get("SV_UPDATE_GOLDEN") == "1"
        failed = False
        for patient in PATIENTS:
            r = run("summary", "--profile", "sandbox", "--patient", patient, "--format", "json")
            if r.returncode != 0:
                fail("summary %s exited %d: %s" % (patient, r.returncode, r.stderr))
            got = normalise(r.stdout)
            path = os.path.join(golden_dir, patient + ".json")
            if update:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(got)
                continue
            with open(path, encoding="utf-8") as f:
                want = f.read()
            if got != want:
                import difflib
                sys.stderr.writelines(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                           path, "smart-viewer-cli summary", n=2))
                failed = True

        # The text form names the patient and both sections; no --patient
        # and no patient context is a usage error that says what to do.
        r = run("summary", "--profile", "sandbox", "--patient", "patient-001")
        if r.returncode != 0 or "Zoë Anneliese Müller" not in r.stdout:
            fail("text summary: " + r.stdout[:200] + r.stderr)
        r = run("summary", "--profile", "sandbox")
        if r.returncode != 2 or "--patient" not in r.stderr:
            fail("summary without a patient: exit %d, %s" % (r.returncode, r.stderr))
        # A patient outside the clinician's panel is not permitted (403).
        r = run("summary", "--profile", "sandbox", "--patient", "patient-002", "--format", "json")
        if r.returncode == 0:
            fail("patient-002 (not in the panel) was summarised")

        run("logout", "--profile", "sandbox")
        if failed:
            fail("the summaries differ from the golden files (SV_UPDATE_GOLDEN=1 rewrites them)")
        print("cli-summary ok" if not update else "golden files written")
        return 0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
