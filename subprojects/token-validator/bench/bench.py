# SPDX-License-Identifier: GPL-3.0-or-later
"""Figures (a)-(e) of issue 3 in one run; see run-bench.sh."""

import importlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from tvtest import RuntimeApi, JwksServer, Key, base_env, event_for, mint  # noqa: E402

EXE, BENCH_EXE, ZIP_SCRIPT = sys.argv[1], sys.argv[2], sys.argv[3]
SECONDS = float(os.environ.get("TV_BENCH_SECONDS", "3"))
N_TOKENS = 200
NOW = int(time.time())

jwks = JwksServer()
key = Key("RSA")
jwks.set_keys(key.jwk(), Key("RSA").jwk())
ISS = jwks.url + "/us-east-1_Bench"
CLIENT = "bench-client"
env = base_env(SMART_ISSUER=ISS, SMART_IDP="cognito", SMART_CLIENT_IDS=CLIENT)


def token(i):
    return mint({"sub": "sub-%d" % i, "username": "user-%d" % i, "iss": ISS,
                 "client_id": CLIENT, "token_use": "access",
                 "scope": "launch/patient patient/*.read openid fhirUser",
                 "auth_time": NOW, "iat": NOW, "exp": NOW + 7200, "jti": str(i),
                 "custom:patient": str(1000 + i),
                 "custom:fhirUser": "https://fhir.example.org/r4/Practitioner/%d" % i},
                key)


events = [event_for(token(i)) for i in range(N_TOKENS)]
tmp = tempfile.mkdtemp()
events_path = os.path.join(tmp, "events.ndjson")
with open(events_path, "w") as f:
    for ev in events:
        f.write(json.dumps(ev) + "\n")

results = {}

# (a) warm invocations per second through the handler.
out = subprocess.run([BENCH_EXE, events_path, str(SECONDS)], env=env,
                     capture_output=True, text=True, check=True).stdout
m = re.search(r"per_second=([\d.]+) us_per_invocation=([\d.]+) "
              r"bare_verify_us=([\d.]+) ratio=([\d.]+)", out)
results["a_per_s"] = float(m.group(1))
results["a_us"] = float(m.group(2))
results["bare_us"] = float(m.group(3))
results["bare_ratio"] = float(m.group(4))

# (b) the Python/PyJWT reference, same events, in-process and warm.
os.environ.update({"SMART_ISSUER": ISS, "SMART_CLIENT_IDS": CLIENT,
                   "HEALTHLAKE_ROLE_ARN": env["HEALTHLAKE_ROLE_ARN"]})
for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
    os.environ.pop(k, None)
sys.path.insert(0, HERE)
reference = importlib.import_module("reference")
for ev in events[:5]:
    assert reference.lambda_handler(ev)["authPayload"]["isAuthorized"] is True
count, start = 0, time.perf_counter()
while time.perf_counter() - start < SECONDS:
    for ev in events:
        if reference.lambda_handler(ev)["authPayload"]["isAuthorized"] is not True:
            sys.exit("reference denied a valid token")
        count += 1
elapsed = time.perf_counter() - start
results["b_per_s"] = count / elapsed
results["b_us"] = elapsed / count * 1e6

# (b') the same reference with the JWKS fetched on every call
# (PyJWKClient without its JWK-set cache), a pattern common in samples.
from jwt import PyJWKClient  # noqa: E402
cached_client = reference.jwks_client
reference.jwks_client = PyJWKClient(reference.JWKS_URL, cache_jwk_set=False)
count, start = 0, time.perf_counter()
while time.perf_counter() - start < SECONDS / 2:
    for ev in events[:50]:
        if reference.lambda_handler(ev)["authPayload"]["isAuthorized"] is not True:
            sys.exit("reference denied a valid token")
        count += 1
elapsed = time.perf_counter() - start
reference.jwks_client = cached_client
results["b2_per_s"] = count / elapsed
results["b2_us"] = elapsed / count * 1e6

# (c) OpenSSL's RSA-2048 verify rate: the floor.
out = subprocess.run(["openssl", "speed", "-seconds", "3", "rsa2048"],
                     capture_output=True, text=True).stdout
line = [ln for ln in out.splitlines() if ln.startswith("rsa 2048 bits")][-1]
nums = re.findall(r"[\d.]+", line.split("bits", 1)[1])
results["c_verify_per_s"] = float(nums[-1])
results["c_us"] = 1e6 / results["c_verify_per_s"]


# (d) cold start: process start to the first response through the Runtime
# API emulator, JWKS served locally.
def cold_starts(argv, extra_env=None, runs=15, cwd=None):
    times = []
    for _ in range(runs):
        api = RuntimeApi()
        api.events.put(("cold-1", json.dumps(events[0]), int(time.time() * 1000) + 3000))
        e = dict(env, AWS_LAMBDA_RUNTIME_API=api.address, **(extra_env or {}))
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, env=e, cwd=cwd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        rid, kind, body = api.results.get(timeout=10)
        t1 = api.first_response_at
        proc.terminate()
        proc.wait()
        api.stop()
        assert kind == "response" and json.loads(body)["authPayload"]["isAuthorized"] is True
        times.append((t1 - t0) * 1000)
    return statistics.median(times), max(times)


results["d_med_ms"], results["d_max_ms"] = cold_starts([EXE])
results["d_zip"] = None
zip_dir = os.path.join(tmp, "zip")
p = subprocess.run(["sh", ZIP_SCRIPT, os.path.dirname(EXE), zip_dir],
                   capture_output=True, text=True)
if p.returncode == 0:
    import zipfile
    task = os.path.join(tmp, "task")
    with zipfile.ZipFile(os.path.join(zip_dir, "token-validator-lambda-x86_64.zip")) as z:
        for info in z.infolist():
            z.extract(info, task)
            os.chmod(os.path.join(task, info.filename), (info.external_attr >> 16) & 0o777)
    results["d_zip"] = cold_starts([os.path.join(task, "bootstrap")], cwd=task)

# (e) peak RSS of the runtime process after many invocations.
api = RuntimeApi()
proc = subprocess.Popen([EXE], env=dict(env, AWS_LAMBDA_RUNTIME_API=api.address),
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
n_rss = 1000
t0 = time.monotonic()
for i in range(n_rss):
    kind, body = api.invoke(events[i % N_TOKENS])
    assert kind == "response" and body["authPayload"]["isAuthorized"] is True
through_api = n_rss / (time.monotonic() - t0)
# VmHWM, not wait4's ru_maxrss: the latter keeps the high-water mark of the
# forked Python interpreter from before exec.
with open("/proc/%d/status" % proc.pid) as f:
    hwm = [ln for ln in f if ln.startswith("VmHWM:")][0]
proc.terminate()
proc.wait()
api.stop()
results["e_rss_mb"] = int(hwm.split()[1]) / 1024.0
jwks.stop()


def verdict(ok):
    return "meets target" if ok else "MISSES target"


ratio_py = results["a_per_s"] / results["b_per_s"]
ratio_rsa = results["a_us"] / results["c_us"]
print()
print("token-validator benchmark (%s, %d distinct RS256 tokens, %.0f s per run)"
      % (os.uname().machine, N_TOKENS, SECONDS))
print("-" * 78)
print("(a) warm handler, C             %10.0f inv/s  %8.1f us/inv"
      % (results["a_per_s"], results["a_us"]))
print("(b) Python + PyJWT reference    %10.0f inv/s  %8.1f us/inv   C is %.1fx  (target >= 20x: %s)"
      % (results["b_per_s"], results["b_us"], ratio_py, verdict(ratio_py >= 20)))
print("    same, JWKS fetched per call   %10.0f inv/s  %8.1f us/inv   C is %.1fx  (no key cache: not what we compare against)"
      % (results["b2_per_s"], results["b2_us"], results["a_per_s"] / results["b2_per_s"]))
print("    ceiling for (b): the reference costs %.1f RSA verifies, so no validator can be more than that many times faster"
      % (results["b_us"] / results["c_us"]))
print("(c) openssl speed rsa2048       %10.0f verify/s %6.1f us/verify  one invocation = %.2f verifies (target <= 3: %s)"
      % (results["c_verify_per_s"], results["c_us"], ratio_rsa, verdict(ratio_rsa <= 3)))
print("    same process, interleaved: one bare RS256 verify (EVP_PKEY_verify + SHA-256) = %.1f us; one invocation = %.2f verifies (target <= 3: %s)"
      % (results["bare_us"], results["bare_ratio"], verdict(results["bare_ratio"] <= 3)))
print("(d) cold start, build tree      median %6.1f ms  max %6.1f ms  (target <= 50 ms: %s)"
      % (results["d_med_ms"], results["d_max_ms"], verdict(results["d_med_ms"] <= 50)))
if results["d_zip"]:
    print("    cold start, Lambda zip      median %6.1f ms  max %6.1f ms  (bundled loader, %s)"
          % (results["d_zip"][0], results["d_zip"][1], verdict(results["d_zip"][0] <= 50)))
else:
    print("    cold start, Lambda zip      not measured: %s" % p.stderr.strip()[:100])
print("(e) peak RSS after %d invocations %6.1f MB  (target <= 16 MB: %s)"
      % (n_rss, results["e_rss_mb"], verdict(results["e_rss_mb"] <= 16)))
print("    (through the Python Runtime API emulator: %.0f inv/s, emulator-bound)" % through_api)
