#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Builds the Lambda zip, unpacks it into an empty directory and runs its
bootstrap there with an empty environment (no host library path) against
the Runtime API emulator, fetching the JWKS over HTTPS."""

import os
import subprocess
import sys
import tempfile
import time
import zipfile

from tvtest import (SKIP, JwksServer, Key, Results, RuntimeApi, event_for, mint,
                    sanitizer_build)

EXE, SCRIPT = os.path.abspath(sys.argv[1]), sys.argv[2]
if sanitizer_build():
    print("SKIP: the packaged binary would need the sanitizer runtime")
    sys.exit(SKIP)

R = Results()
NOW = int(time.time())

with tempfile.TemporaryDirectory() as tmp:
    out_dir = os.path.join(tmp, "out")
    p = subprocess.run(["sh", SCRIPT, os.path.dirname(EXE), out_dir],
                       capture_output=True, text=True, timeout=120)
    zpath = os.path.join(out_dir, "token-validator-lambda-x86_64.zip")
    R.check("build-lambda-zip.sh succeeded", p.returncode == 0 and os.path.exists(zpath),
            p.stdout + p.stderr)
    if R.failed:
        sys.exit(R.finish())

    task = os.path.join(tmp, "task")
    os.mkdir(task)
    with zipfile.ZipFile(zpath) as z:
        names = z.namelist()
        for info in z.infolist():
            z.extract(info, task)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(os.path.join(task, info.filename), mode)
    R.check("zip holds bootstrap, the binary, libc and the loader",
            "bootstrap" in names and "bin/token-validator" in names
            and "lib/libc.so.6" in names and "lib/ld-linux-x86-64.so.2" in names
            and "lib/libcurl.so.4" in names, str(names))
    R.check("bootstrap is executable", os.access(os.path.join(task, "bootstrap"), os.X_OK))

    # An HTTPS IdP with its own CA, handed over the way Amazon Linux would
    # not need (SSL_CERT_FILE), proves TLS verification runs from the bundle.
    jwks = JwksServer(tls_dir=tmp)
    key = Key("RSA")
    jwks.set_keys(key.jwk())
    iss = jwks.url + "/us-east-1_Zip"
    api = RuntimeApi()
    env = {"AWS_LAMBDA_RUNTIME_API": api.address, "LAMBDA_TASK_ROOT": task,
           "SMART_ISSUER": iss, "SMART_IDP": "cognito",
           "HEALTHLAKE_ROLE_ARN": "arn:aws:iam::123456789012:role/x",
           "SSL_CERT_FILE": jwks.ca_file}
    proc = subprocess.Popen([os.path.join(task, "bootstrap")], cwd=task, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        tok = mint({"iss": iss, "token_use": "access", "client_id": "c", "sub": "s",
                    "scope": "user/*.rs", "iat": NOW, "exp": NOW + 300}, key)
        kind, body = api.invoke(event_for(tok), timeout=20)
        R.check("unpacked bootstrap answers an invocation (HTTPS JWKS)",
                kind == "response" and body["authPayload"]["isAuthorized"] is True,
                str(body))
        maps = open("/proc/%d/maps" % proc.pid).read()
        objs = {line.split()[-1] for line in maps.splitlines()
                if len(line.split()) >= 6 and ".so" in line.split()[-1]}
        foreign = [o for o in objs if not os.path.realpath(o).startswith(os.path.realpath(task))]
        R.check("every mapped shared object comes from the zip", objs and not foreign,
                str(sorted(foreign)))
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
        api.stop()
        jwks.stop()

    # Without the CA, the HTTPS fetch must fail (verification is on).
    api = RuntimeApi()
    jwks = JwksServer(tls_dir=tmp)
    jwks.set_keys(key.jwk())
    env["AWS_LAMBDA_RUNTIME_API"] = api.address
    env["SMART_ISSUER"] = jwks.url + "/us-east-1_Zip"
    env.pop("SSL_CERT_FILE")
    proc = subprocess.Popen([os.path.join(task, "bootstrap")], cwd=task, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        rc = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = None
    proc.communicate()
    R.check("untrusted HTTPS JWKS: init error, no silent fallback",
            api.init_error_event.is_set() and rc not in (None, 0),
            "rc=%s err=%s" % (rc, api.init_error))
    api.stop()
    jwks.stop()

sys.exit(R.finish())
