#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""smart-viewer-cli against smart-sandbox, end to end (issue 5).

The CLI signs in through the loopback flow while this test plays the
browser (login, patient picker and consent pages of the sandbox), then reads
the patient, keeps working across access-token expiry (refresh), and falls
back to "sign in again" with the reason when the refresh is refused. No
token may appear in anything the CLI prints.

Usage: test-cli-sandbox.py CLI SANDBOX FLAVOR
Runs inside tests/run-headless.sh (a throw-away HOME and an unlocked keyring).
"""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sandbox_browser import play_browser  # noqa: E402

PROFILE = "sandbox-cli"  # suffixed with the flavor: both flavors may run at once
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
failures = []


def check(condition, message):
    print(("ok: " if condition else "FAIL: ") + message, flush=True)
    if not condition:
        failures.append(message)


CLI_ENV = dict(os.environ)


def check_timeline(command, err, kinds):
    """`--verbose` printed the timeline on stderr with these kinds, in this
    order, and nothing shaped like a token."""
    lines = [line for line in err.splitlines() if line.startswith("#")]
    position = 0
    for kind in kinds:
        found = [i for i, line in enumerate(lines) if kind in line and i >= position]
        check(bool(found), f"`{command} --verbose`: a {kind} entry in order")
        position = found[0] if found else position
    check(not JWT.search(err), f"`{command} --verbose`: no JWT in the timeline")
    check("eyJ" not in err, f"`{command} --verbose`: nothing that starts like a JWT")


def run_cli(cli, *args):
    result = subprocess.run([cli, *args], capture_output=True, text=True, timeout=60, env=CLI_ENV)
    return result.returncode, result.stdout, result.stderr


def main():
    global PROFILE
    cli, sandbox, flavor = sys.argv[1:4]
    PROFILE = f"{PROFILE}-{flavor}"
    captured = []
    with tempfile.TemporaryDirectory() as tmp:
        # Profiles of their own; the keyring items are per profile name.
        CLI_ENV["XDG_CONFIG_HOME"] = os.path.join(tmp, "config")
        proc = subprocess.Popen([sandbox, "--port", "0", "--flavor", flavor,
                                 "--data-dir", os.path.join(tmp, "sandbox"),
                                 "--token-lifetime", "3"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            ready = None
            deadline = time.time() + 60
            while time.time() < deadline:
                line = proc.stdout.readline()
                if not line:
                    break
                if line.startswith("smart-sandbox ready "):
                    ready = dict(word.split("=", 1) for word in line.split()[2:])
                    break
            check(ready is not None, "the sandbox started")
            if ready is None:
                return 1
            fhir = ready["fhir"]
            root = fhir.split("/datastore/")[0]

            code, out, err = run_cli(cli, "profiles", "add", PROFILE, "--fhir", fhir,
                                     "--client-id", ready["client_id"], "--idp", flavor,
                                     "--redirect", "browser")
            captured += [out, err]
            check(code == 0, f"`profiles add` ({err.strip()})")

            login = subprocess.Popen([cli, "login", "--profile", PROFILE, "--no-browser", "--verbose"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=CLI_ENV)
            url = None
            for _ in range(20):
                line = login.stdout.readline()
                captured.append(line)
                if line.startswith("Open this URL to sign in: "):
                    url = line.split(": ", 1)[1].strip()
                    break
            check(url is not None and "code_challenge_method=S256" in url and "state=" in url,
                  "`login` printed an authorization URL with PKCE S256 and state")
            pages, redirect = play_browser(url)
            check(True, "the CLI's listener answered the browser")
            check(pages == ["login", "picker", "consent", "redirect"],
                  f"the browser went through {' → '.join(pages)}")
            out, err = login.communicate(timeout=60)
            captured += [out, err]
            check(login.returncode == 0, f"`login` succeeded ({err.strip()})")
            # --verbose: the session timeline on stderr, client and server side.
            check_timeline("login", err, ["discovery", "authorization-request", "redirect", "token-request",
                                          "server-event IdP: tokens issued", "token-response"])
            auth_code = urllib.parse.parse_qs(urllib.parse.urlsplit(redirect).query)["code"][0]
            check(len(auth_code) > 8 and auth_code not in err and auth_code not in out,
                  "the authorization code is not in the output")
            check("[redacted code]" in err or "code=" not in err, "the redirect's code is shown redacted")

            code, out, err = run_cli(cli, "status", "--profile", PROFILE)
            captured += [out, err]
            match = re.search(r"(patient-\d+)", out)
            check(code == 0 and match is not None, "`status` shows the patient picked in the browser")
            patient = match.group(1) if match else "patient-001"
            source = "token response" if flavor == "keycloak" else "access token"
            check(source in out, f"`status` says the patient came from the {source}")

            code, out, err = run_cli(cli, "get", "--profile", PROFILE, f"Patient/{patient}")
            captured += [out, err]
            check(code == 0 and json.loads(out).get("id") == patient, f"`get Patient/{patient}`")

            code, out, err = run_cli(cli, "summary", "--profile", PROFILE, "--verbose")
            captured += [out, err]
            check(code == 0 and "Session timeline" not in out, "`summary --verbose` prints the summary on stdout")
            # Each request's server events follow it (grouped by link).
            check_timeline("summary", err, ["discovery", "token-response", "fhir-request GET Patient/",
                                            "server-event Validator: allowed", "server-event Scope check: Patient read allowed",
                                            "fhir-request GET Condition?", "server-event Validator: allowed",
                                            "server-event Scope check: Condition search allowed"])
            linked = re.findall(r"^#\d+ \S+ server-event Validator: .*\(for #(\d+)\)$", err, re.M)
            requests = set(re.findall(r"^#(\d+) \S+ fhir-request GET (?:Patient|Condition|Medication)", err, re.M))
            check(linked and set(linked) <= requests,
                  "each validator invocation is linked to the client request that caused it")

            # Tokens live 3 s: after expiry the CLI refreshes and keeps working.
            time.sleep(4)
            code, out, err = run_cli(cli, "get", "--profile", PROFILE, f"Patient/{patient}")
            captured += [out, err]
            check(code == 0 and json.loads(out).get("id") == patient,
                  "after the access token expired, `get` still works (refreshed)")

            # The next refresh is refused: the CLI says to sign in again, with the reason.
            request = urllib.request.Request(f"{root}/_sandbox/faults",
                                             data=json.dumps({"refresh_invalid_grant": True}).encode(),
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                check(response.status == 200, "the fault switch took")
            time.sleep(4)
            code, out, err = run_cli(cli, "get", "--profile", PROFILE, f"Patient/{patient}")
            captured += [out, err]
            check(code != 0 and "sign in again" in err.lower(),
                  f"a refused refresh asks to sign in again: {err.strip()!r}")

            code, out, err = run_cli(cli, "logout", "--profile", PROFILE)
            captured += [out, err]
            check(code == 0, "`logout`")

            leaked = [text for text in captured if text and JWT.search(text)]
            check(not leaked, "no token in anything the CLI printed")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
