#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 6, benchmark (a): `smart-viewer-cli summary --format json` against
a script using the reference SMART JavaScript client (fhirclient, on Node),
both reading the sandbox's large record (patient-010) with the same grant.

The CLI signs in through its loopback flow while this script plays the
browser (clinician, patient-010 in the picker, consent). The CLI never
reveals its token, so fhirclient gets one from a second code flow on the
same pages with the same client, scopes and redirect address as the CLI's
own request (read from the address the CLI printed), only with a fresh state
and PKCE pair; the script exchanges the code itself. The token goes to Node
through the environment and is never printed.

Each side then runs N times, alternately, and the medians, the counts each
side fetched and the ratio CLI/fhirclient (target ≤ 0.5) are printed.
Numbers to report, never asserted; a count mismatch is an error.

Usage: bench.py CLI SANDBOX NODE_MODULES_PARENT [RUNS]
Runs inside a session bus with an unlocked keyring (tools/bench-summary.sh).
"""

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

PATIENT = "patient-010"
PROFILE = "bench-summary"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests"))
import sandbox_browser  # noqa: E402


def play_browser(url, follow_redirect):
    """The sandbox's login, picker (choosing PATIENT) and consent pages, as
    a person goes through them; returns the final redirect address."""
    return sandbox_browser.play_browser(url, PATIENT, follow_redirect)[1]


def second_grant(cli_url):
    """A token for fhirclient: the CLI's own authorization request (client,
    scopes, audience, redirect address) with a fresh state and PKCE pair,
    played through the same pages; the code is exchanged here."""
    parts = urllib.parse.urlsplit(cli_url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    verifier = secrets.token_urlsafe(48)
    query["state"] = secrets.token_urlsafe(16)
    query["code_challenge"] = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query["code_challenge_method"] = "S256"
    query.pop("nonce", None)
    url = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
    location = play_browser(url, follow_redirect=False)
    answer = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    if answer.get("state") != query["state"] or "code" not in answer:
        raise RuntimeError("the second sign-in returned no code (or a wrong state)")
    config = json.load(urllib.request.urlopen(
        query["aud"].rstrip("/") + "/.well-known/smart-configuration", timeout=20))
    form = {"grant_type": "authorization_code", "code": answer["code"], "client_id": query["client_id"],
            "redirect_uri": query["redirect_uri"], "code_verifier": verifier}
    request = urllib.request.Request(config["token_endpoint"], data=urllib.parse.urlencode(form).encode())
    with urllib.request.urlopen(request, timeout=20) as response:
        token = json.load(response)
    if token.get("patient") != PATIENT or "access_token" not in token:
        raise RuntimeError(f"the second grant is not for {PATIENT}")
    return token, query["scope"]


def cli_counts(summary):
    """What the CLI fetched, per resource type, from its JSON's sections."""
    return {rt: summary["sections"][rt]["count"]
            for rt in ("Condition", "MedicationStatement", "MedicationRequest")}


CPU = {}
PEAK_RSS = {}


def timed(argv, env, key=None):
    """Wall time and stdout of one run; with key, its CPU time (user +
    system) is added to CPU[key], which tells work from waiting, and its
    peak resident size to PEAK_RSS[key]."""
    # Output goes to files, so that no reader's speed is measured, and the
    # child is reaped here, for its own resource usage.
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        start = time.monotonic()
        proc = subprocess.Popen(argv, env=env, stdout=out_file, stderr=err_file)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
    if proc.returncode != 0:
        # A library's error dump may quote the request: no token in it.
        raise RuntimeError(f"{os.path.basename(argv[0])} exited {proc.returncode}: "
                           + JWT.sub("[token]", err.decode("utf-8", "replace")[-500:]))
    if key is not None:
        CPU.setdefault(key, []).append(usage.ru_utime + usage.ru_stime)
        PEAK_RSS.setdefault(key, []).append(usage.ru_maxrss / 1024)
    return elapsed, out.decode("utf-8")


def tree_cpu(pid):
    """CPU seconds (user + system) used so far by a process and all its
    descendants alive now (the sandbox and its validator workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents, times = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += times.get(p, 0.0)
        todo += [c for c, parent in parents.items() if parent == p]
    return total


def page_urls(fhir, patient, token):
    """The addresses both clients ask for: the Patient, then each search's
    pages by their next links, per resource type."""
    headers = {"Authorization": "Bearer " + token, "Accept": "application/fhir+json"}
    quoted = urllib.parse.quote(patient)
    urls = {"Patient": [f"{fhir.rstrip('/')}/Patient/{quoted}"]}
    for rt, include in (("Condition", ""), ("MedicationStatement", "&_include=MedicationStatement:medication"),
                        ("MedicationRequest", "&_include=MedicationRequest:medication")):
        url = f"{fhir.rstrip('/')}/{rt}?subject=Patient/{quoted}&_count=100{include}"
        urls[rt] = []
        while url:
            urls[rt].append(url)
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as r:
                raw = r.read()
            bundle = json.loads(raw)
            if os.environ.get("SV_BENCH_DUMP"):
                with open(os.path.join(os.environ["SV_BENCH_DUMP"], f"{rt}-{len(urls[rt])}.json"), "wb") as f:
                    f.write(raw)
            url = next((link["url"] for link in bundle.get("link", []) if link.get("relation") == "next"), None)
    return urls


def curl_config(tmp, name, token, urls):
    """A curl config file (mode 0600, in the private temporary folder): the
    token stays out of the command line."""
    path = os.path.join(tmp, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f'header = "Authorization: Bearer {token}"\nheader = "Accept: application/fhir+json"\n')
        f.write("silent\nfail\n")
        for url in urls:
            f.write(f'url = "{url}"\noutput = "/dev/null"\n')
    return path


def floor_times(tmp, token, urls, sandbox_pid):
    """What fetching alone costs, without any parsing: curl reading every
    page one after the other on one connection, and the Patient then the
    three searches' pages as three chains side by side (the best any client
    that follows next links can do); plus the sandbox's own CPU time."""
    curl = shutil.which("curl")
    if curl is None:
        return None
    everything = [u for rt in ("Patient", "Condition", "MedicationStatement", "MedicationRequest") for u in urls[rt]]
    sequential = curl_config(tmp, "all.curl", token, everything)
    patient = curl_config(tmp, "patient.curl", token, urls["Patient"])
    chains = [curl_config(tmp, rt + ".curl", token, urls[rt])
              for rt in ("Condition", "MedicationStatement", "MedicationRequest")]
    seq, par, server = [], [], []
    for _ in range(5):
        before = tree_cpu(sandbox_pid)
        start = time.monotonic()
        subprocess.run([curl, "-K", sequential], check=True)
        seq.append(time.monotonic() - start)
        server.append(tree_cpu(sandbox_pid) - before)
        start = time.monotonic()
        subprocess.run([curl, "-K", patient], check=True)
        procs = [subprocess.Popen([curl, "-K", chain]) for chain in chains]
        if any(p.wait() != 0 for p in procs):
            raise RuntimeError("curl failed")
        par.append(time.monotonic() - start)
    return statistics.median(seq), statistics.median(par), statistics.median(server)


def main():
    cli, sandbox, node_dir = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    node = shutil.which("node")
    if node is None or not os.path.isdir(os.path.join(node_dir, "node_modules", "fhirclient")):
        print("bench: summary vs fhirclient skipped: Node or the fhirclient package is missing")
        return 0
    tmp = tempfile.mkdtemp(prefix="sv-bench-summary-")
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "config"), LC_ALL="C.UTF-8", LANGUAGE="")
    proc = subprocess.Popen([sandbox, "--port", "0", "--data-dir", os.path.join(tmp, "sandbox")],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        line = proc.stdout.readline()
        m = re.match(r"smart-sandbox ready fhir=(\S+) issuer=(\S+) client_id=(\S+)", line)
        if not m:
            raise RuntimeError("the sandbox did not start")
        fhir, issuer, client_id = m.groups()
        run = lambda *args: subprocess.run([cli, *args], env=env, capture_output=True, text=True, timeout=120)

        r = run("profiles", "add", PROFILE, "--fhir", fhir, "--client-id", client_id, "--idp", "keycloak",
                "--issuer", issuer, "--redirect", "browser")
        if r.returncode != 0:
            raise RuntimeError("profiles add: " + r.stderr.strip())
        login = subprocess.Popen([cli, "login", "--profile", PROFILE, "--no-browser", "--timeout", "60"],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        url = None
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            line = login.stdout.readline()
            if not line:
                break
            if line.startswith("Open this URL to sign in: "):
                url = line.split(": ", 1)[1].strip()
        if url is None:
            login.kill()
            raise RuntimeError("`login` printed no address")
        play_browser(url, follow_redirect=True)
        _, err = login.communicate(timeout=60)
        if login.returncode != 0:
            raise RuntimeError("login: " + err.strip())
        r = run("status", "--profile", PROFILE)
        if PATIENT not in r.stdout:
            raise RuntimeError(f"the CLI's sign-in is not for {PATIENT}")

        token, scope = second_grant(url)
        print(f"bench: grant: client {client_id}, scope \"{scope}\", patient {PATIENT} (both sides)")
        node_env = dict(env, SV_FHIR_BASE=fhir, SV_PATIENT=PATIENT, SV_ACCESS_TOKEN=token["access_token"],
                        NODE_PATH=os.path.join(node_dir, "node_modules"))
        cli_argv = [cli, "summary", "--profile", PROFILE, "--format", "json"]
        node_argv = [node, os.path.join(HERE, "fetch.mjs"), os.path.join(node_dir, "node_modules")]

        # One untimed run of each warms the page cache and the sandbox's
        # validator processes, so neither side pays for the other's start.
        _, out = timed(cli_argv, env)
        summary = json.loads(out)
        if os.environ.get("SV_BENCH_SAVE"):
            # The CLI's exact output, to compare builds byte for byte.
            with open(os.environ["SV_BENCH_SAVE"], "w", encoding="utf-8") as f:
                f.write(out)
        _, out = timed(node_argv, node_env)
        js = json.loads(out)

        # fhirclient's own way, resolveReferences, is tried once; it may not
        # cope with the record (fhirclient 2.6.3 requests contained "#id"
        # references from the server, which answers 400), and is then left out.
        try:
            _, out = timed(node_argv + ["resolve"], node_env)
            js_resolve = json.loads(out)
        except RuntimeError as error:
            js_resolve = None
            reason = "HTTP 400 for a contained “#…” reference" if "#" in str(error) and "400" in str(error) \
                else str(error).splitlines()[0]
            print(f"bench: fhirclient with resolveReferences instead of _include failed ({reason}); "
                  "only the _include form is timed")

        cli_times, js_times, get_times, resolve_times = [], [], [], []
        server_cpu = {"cli": [], "js": []}
        for _ in range(runs):
            before = tree_cpu(proc.pid)
            cli_times.append(timed(cli_argv, env, "cli")[0])
            server_cpu["cli"].append(tree_cpu(proc.pid) - before)
            before = tree_cpu(proc.pid)
            js_times.append(timed(node_argv, node_env, "js")[0])
            server_cpu["js"].append(tree_cpu(proc.pid) - before)
            get_times.append(timed([cli, "get", "--profile", PROFILE, f"Patient/{PATIENT}"], env)[0])
            if js_resolve is not None:
                resolve_times.append(timed(node_argv + ["resolve"], node_env)[0])

        counts = cli_counts(summary)
        shown = {rt: js["shown"].get(rt, 0) for rt in counts}
        print("bench: cli shows (entered-in-error hidden): "
              + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        print("bench: fhirclient fetched: " + ", ".join(f"{k} {v}" for k, v in sorted(js["counts"].items()))
              + f" in {js['requests']} requests; of them not entered-in-error: "
              + ", ".join(f"{k} {v}" for k, v in sorted(shown.items())))
        if shown != counts:
            raise RuntimeError("the two sides did not read the same record")
        print(f"bench: cli fixed cost, `get Patient/{PATIENT}` (start, keyring, one read): "
              f"median {statistics.median(get_times):.3f} s")
        cli_median = statistics.median(cli_times)
        js_median = statistics.median(js_times)
        fmt = lambda xs: " ".join(f"{x:.3f}" for x in xs)
        print(f"bench: summary wall time, {runs} runs each, alternating:")
        print(f"bench:   smart-viewer-cli summary --format json  median {cli_median:.3f} s  ({fmt(cli_times)})")
        print(f"bench:   fhirclient (Node {subprocess.run([node, '--version'], capture_output=True, text=True).stdout.strip()})"
              f"            median {js_median:.3f} s  ({fmt(js_times)})")
        if js_resolve is not None:
            print(f"bench:   fhirclient, resolveReferences instead of _include  median "
                  f"{statistics.median(resolve_times):.3f} s  ({fmt(resolve_times)}; "
                  f"{js_resolve['requests']} requests, {js_resolve['counts'].get('resolvedMedications', 0)} "
                  "references resolved)")
        print(f"bench: CPU time (user+system) median: cli {statistics.median(CPU['cli']):.3f} s, "
              f"fhirclient {statistics.median(CPU['js']):.3f} s")
        print(f"bench: peak resident size median: cli {statistics.median(PEAK_RSS['cli']):.1f} MB "
              f"(the whole record held until it exits), fhirclient {statistics.median(PEAK_RSS['js']):.1f} MB")
        if os.environ.get("SV_BENCH_PERF") and shutil.which("perf"):
            # Where the CLI's CPU time goes: one more run under perf.
            data = os.path.join(tmp, "perf.data")
            timed(["perf", "record", "-q", "-F", "1000", "--call-graph", "dwarf", "-o", data, "--",
                   *cli_argv], env)
            # Inclusive time of the project's own functions (and json-glib's
            # parser), which tells loading from building rows from output.
            report = subprocess.run(["perf", "report", "-i", data, "--stdio", "--children",
                                     "--sort", "symbol", "-g", "none", "--percent-limit", "4"],
                                    capture_output=True, text=True, timeout=300).stdout
            for line in report.splitlines():
                if line.strip() and not line.startswith("#"):
                    print("perf: " + line.strip())
        print(f"bench: sandbox CPU time (with its validator workers) per run, median: during the cli "
              f"{statistics.median(server_cpu['cli']):.3f} s, during fhirclient {statistics.median(server_cpu['js']):.3f} s "
              f"({os.cpu_count()} CPUs shared by client and server)")
        urls = page_urls(fhir, PATIENT, token["access_token"])
        floor = floor_times(tmp, token["access_token"], urls, proc.pid)
        if floor is not None:
            print(f"bench: floor, the same {sum(len(u) for u in urls.values())} requests with curl, nothing parsed: "
                  f"one after another {floor[0]:.3f} s (sandbox CPU {floor[2]:.3f} s); Patient then the three "
                  f"searches side by side ({', '.join(f'{rt} {len(u)}' for rt, u in urls.items() if rt != 'Patient')} "
                  f"pages) {floor[1]:.3f} s")
        ratio = cli_median / js_median
        print(f"bench: ratio cli/fhirclient {ratio:.2f} (target ≤ 0.50: {'met' if ratio <= 0.5 else 'NOT met'})")
        return 0
    finally:
        subprocess.run([cli, "logout", "--profile", PROFILE], env=env, capture_output=True, timeout=60)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError, KeyError) as error:
        print(f"bench: summary vs fhirclient FAILED: {error}", file=sys.stderr)
        sys.exit(1)
