# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared test helpers: keys generated at test time, JWS minting (by hand,
so that broken tokens can be made), a JWKS server, a listener that must
receive nothing, and a Lambda Runtime API emulator.  Python 3 stdlib plus
python3-cryptography; every server binds 127.0.0.1 port 0."""

import base64
import hashlib
import hmac
import http.server
import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
import uuid

SKIP = 77

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
except ImportError:  # pragma: no cover
    print("SKIP: python3-cryptography is not installed")
    sys.exit(SKIP)

FHIR_BASE = "https://healthlake.us-east-1.amazonaws.com/datastore/0123456789abcdef0123456789abcdef/r4/"
ROLE_ARN = "arn:aws:iam::123456789012:role/healthlake-smart-access"


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_b64u(n):
    return b64u(n.to_bytes((n.bit_length() + 7) // 8, "big"))


class Key:
    """A signing key with its public JWK."""

    def __init__(self, kind="RSA", kid=None):
        self.kind = kind
        self.kid = kid if kid is not None else "k-" + uuid.uuid4().hex[:12]
        if kind == "RSA":
            self.priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif kind == "P-256":
            self.priv = ec.generate_private_key(ec.SECP256R1())
        elif kind == "P-384":
            self.priv = ec.generate_private_key(ec.SECP384R1())
        else:
            raise ValueError(kind)
        self.pub = self.priv.public_key()

    def jwk(self, alg=None):
        nums = self.pub.public_numbers()
        if self.kind == "RSA":
            j = {"kty": "RSA", "n": _int_b64u(nums.n), "e": _int_b64u(nums.e), "use": "sig"}
        else:
            size = 32 if self.kind == "P-256" else 48
            j = {"kty": "EC", "crv": self.kind, "use": "sig",
                 "x": b64u(nums.x.to_bytes(size, "big")),
                 "y": b64u(nums.y.to_bytes(size, "big"))}
        if self.kid:
            j["kid"] = self.kid
        if alg:
            j["alg"] = alg
        return j

    def public_pem(self):
        return self.pub.public_bytes(serialization.Encoding.PEM,
                                     serialization.PublicFormat.SubjectPublicKeyInfo)


_HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def sign_input(signing_input, alg, key=None, secret=None):
    if alg in ("none", "None", "NONE"):
        return b""
    h = _HASHES[alg[2:]]
    if alg.startswith("HS"):
        return hmac.new(secret, signing_input, getattr(hashlib, "sha" + alg[2:])).digest()
    if alg.startswith("RS"):
        return key.priv.sign(signing_input, padding.PKCS1v15(), h())
    if alg.startswith("PS"):
        return key.priv.sign(signing_input,
                             padding.PSS(mgf=padding.MGF1(h()), salt_length=h.digest_size),
                             h())
    if alg.startswith("ES"):
        der = key.priv.sign(signing_input, ec.ECDSA(h()))
        r, s = decode_dss_signature(der)
        size = 32 if alg == "ES256" else 48
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    raise ValueError(alg)


def mint(claims, key=None, alg="RS256", header=None, kid=True, secret=None,
         raw_payload=None):
    """Builds a compact JWS.  header entries are added to (or, when None,
    removed from) the default {alg, kid}."""
    hdr = {"alg": alg}
    if kid is True and key is not None and key.kid:
        hdr["kid"] = key.kid
    elif isinstance(kid, str):
        hdr["kid"] = kid
    for k, v in (header or {}).items():
        if v is None:
            hdr.pop(k, None)
        else:
            hdr[k] = v
    h = b64u(json.dumps(hdr, separators=(",", ":")))
    p = b64u(raw_payload if raw_payload is not None
             else json.dumps(claims, separators=(",", ":")))
    si = (h + "." + p).encode()
    return h + "." + p + "." + b64u(sign_input(si, alg, key, secret))


class _QuietHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One buffered write per response and no Nagle: otherwise headers and
    # body leave as two segments and delayed ACKs add ~40 ms per request.
    wbufsize = -1
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def _send(self, status, body, headers=None, ctype="application/json"):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # Clients killed mid-connection are part of the tests.
        pass


class JwksServer:
    """Serves a mutable JWKS on any path ending in jwks.json, /certs or
    /jwks, and an OpenID discovery document."""

    def __init__(self, tls_dir=None):
        self.keys = []
        self.hits = 0
        self.lock = threading.Lock()
        outer = self

        class H(_QuietHandler):
            def do_GET(self):
                with outer.lock:
                    outer.hits += 1
                    doc = {"keys": list(outer.keys)}
                # No keep-alive: once stop() is called, the IdP must really
                # be gone, not still answering on an open connection.
                self.close_connection = True
                if self.path.endswith("/.well-known/openid-configuration"):
                    iss = outer.url + self.path[: -len("/.well-known/openid-configuration")]
                    self._send(200, json.dumps({"issuer": iss, "jwks_uri": iss + "/jwks"}))
                elif self.path.endswith(("jwks.json", "/certs", "/jwks")):
                    self._send(200, json.dumps(doc))
                else:
                    self._send(404, "{}")

        self.httpd = _Server(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.ca_file = None
        if tls_dir is not None:
            ctx, self.ca_file = make_tls(tls_dir)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            self.url = "https://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def set_keys(self, *jwks):
        with self.lock:
            self.keys = list(jwks)

    def hit_count(self):
        with self.lock:
            return self.hits

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def make_tls(directory):
    """A throw-away CA and a server certificate for 127.0.0.1.  Returns an
    ssl.SSLContext for the server and the CA bundle path for the client."""
    import datetime
    import ssl
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    import ipaddress

    now = datetime.datetime.utcnow()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tv test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(hours=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_path = os.path.join(directory, "ca.pem")
    cert_path = os.path.join(directory, "server.pem")
    key_path = os.path.join(directory, "server.key")
    with open(ca_path, "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx, ca_path


class IntrospectionServer:
    """RFC 7662 endpoint: answers from a dict token -> response (default
    inactive), records the basic-auth header it received."""

    def __init__(self):
        self.answers = {}
        self.auth = []
        outer = self

        class H(_QuietHandler):
            def do_POST(self):
                import urllib.parse
                n = int(self.headers.get("Content-Length", "0"))
                form = urllib.parse.parse_qs(self.rfile.read(n).decode())
                outer.auth.append(self.headers.get("Authorization"))
                tok = form.get("token", [""])[0]
                self._send(200, json.dumps(outer.answers.get(tok, {"active": False})))

        self.httpd = _Server(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d/introspect" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def sigv4_signature(secret_key, date8, region, service, string_to_sign):
    def h(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()
    k = h(h(h(h(("AWS4" + secret_key).encode(), date8), region), service), "aws4_request")
    return hmac.new(k, string_to_sign.encode(), hashlib.sha256).hexdigest()


class SecretsManagerServer:
    """A GetSecretValue endpoint that checks the SigV4 signature the way AWS
    does (recomputed here independently) before answering."""

    def __init__(self, akid, secret_key, secret_string):
        self.requests = []
        self.bad_signatures = 0
        outer = self

        class H(_QuietHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                auth = self.headers.get("Authorization", "")
                m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/"
                             r"secretsmanager/aws4_request, SignedHeaders=([^,]+), "
                             r"Signature=([0-9a-f]{64})$", auth)
                ok = False
                if m and m.group(1) == akid:
                    names = m.group(4).split(";")
                    canon = "POST\n/\n\n" + "".join(
                        "%s:%s\n" % (name, self.headers.get(name, "").strip()) for name in names)
                    canon += "\n" + m.group(4) + "\n" + hashlib.sha256(body).hexdigest()
                    amzdate = self.headers.get("X-Amz-Date", "")
                    sts = "AWS4-HMAC-SHA256\n%s\n%s/%s/secretsmanager/aws4_request\n%s" % (
                        amzdate, m.group(2), m.group(3), hashlib.sha256(canon.encode()).hexdigest())
                    ok = (sigv4_signature(secret_key, m.group(2), m.group(3), "secretsmanager", sts)
                          == m.group(5)
                          and self.headers.get("X-Amz-Target") == "secretsmanager.GetSecretValue"
                          and "host" in names and "x-amz-date" in names)
                outer.requests.append(json.loads(body or b"{}"))
                if not ok:
                    outer.bad_signatures += 1
                    return self._send(400, '{"__type":"InvalidSignatureException"}')
                self._send(200, json.dumps({"ARN": "x", "Name": "x",
                                            "SecretString": secret_string}))

        self.httpd = _Server(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class TrapListener:
    """A TCP listener that records every connection: jku/x5u targets."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d/keys" % self.port
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                c, _ = self.sock.accept()
                self.connections += 1
                c.close()
            except socket.timeout:
                continue
            except OSError:
                break

    def stop(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


class RuntimeApi:
    """A Lambda Runtime API emulator: queue events, collect answers."""

    def __init__(self):
        self.events = queue.Queue()
        self.results = queue.Queue()
        self.init_error = None
        self.init_error_event = threading.Event()
        self.first_response_at = None
        self.closing = False
        outer = self

        class H(_QuietHandler):
            def do_GET(self):
                if self.path != "/2018-06-01/runtime/invocation/next":
                    return self._send(404, "{}")
                while not outer.closing:
                    try:
                        rid, body, deadline = outer.events.get(timeout=0.2)
                        break
                    except queue.Empty:
                        continue
                else:
                    self.close_connection = True
                    return self._send(500, "{}")
                self._send(200, body, {
                    "Lambda-Runtime-Aws-Request-Id": rid,
                    "Lambda-Runtime-Deadline-Ms": str(deadline),
                    "Lambda-Runtime-Invoked-Function-Arn":
                        "arn:aws:lambda:us-east-1:123456789012:function:token-validator",
                })

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                parts = self.path.split("/")
                if self.path == "/2018-06-01/runtime/init/error":
                    outer.init_error = json.loads(body)
                    outer.init_error_event.set()
                    return self._send(202, '{"status":"OK"}')
                if len(parts) == 6 and parts[3] == "invocation" and parts[5] in ("response", "error"):
                    if outer.first_response_at is None:
                        outer.first_response_at = time.monotonic()
                    outer.results.put((parts[4], parts[5], body))
                    return self._send(202, '{"status":"OK"}')
                self._send(404, "{}")

        self.httpd = _Server(("127.0.0.1", 0), H)
        self.address = "127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def invoke(self, event, deadline_ms=None, timeout=10):
        """Queues one event and waits for its answer: (kind, parsed body)."""
        rid = str(uuid.uuid4())
        if deadline_ms is None:
            deadline_ms = int(time.time() * 1000) + 3000
        body = event if isinstance(event, (bytes, str)) else json.dumps(event)
        self.events.put((rid, body, deadline_ms))
        got_rid, kind, body = self.results.get(timeout=timeout)
        assert got_rid == rid, (got_rid, rid)
        return kind, json.loads(body)

    def stop(self):
        self.closing = True
        self.httpd.shutdown()
        self.httpd.server_close()


def event_for(token, endpoint=FHIR_BASE, **extra):
    ev = {"datastoreEndpoint": endpoint, "operationName": "SearchWithGet",
          "bearerToken": token,
          "datastoreId": "0123456789abcdef0123456789abcdef",
          "datastoreTypeVersion": "R4"}
    ev.update(extra)
    return ev


def base_env(**kw):
    """A minimal environment: no proxies, no inherited SMART_* settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SMART_", "HEALTHLAKE_", "AWS_LAMBDA"))
           and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
    env["HEALTHLAKE_ROLE_ARN"] = ROLE_ARN
    env.update({k: str(v) for k, v in kw.items()})
    return env


def run_event(exe, env, event, timeout=30):
    """Runs --event - and returns (exit status, parsed stdout or None,
    list of parsed JSON log lines, raw stderr)."""
    data = event if isinstance(event, (bytes, str)) else json.dumps(event)
    if isinstance(data, str):
        data = data.encode()
    p = subprocess.run([exe, "--event", "-"], input=data, env=env,
                       capture_output=True, timeout=timeout)
    out = None
    if p.stdout.strip():
        out = json.loads(p.stdout)
    logs = []
    for line in p.stderr.decode(errors="replace").splitlines():
        try:
            logs.append(json.loads(line))
        except ValueError:
            logs.append({"raw": line})
    return p.returncode, out, logs, p.stderr.decode(errors="replace")


class Results:
    """Minimal TAP-ish reporting: every check printed, failures counted."""

    def __init__(self):
        self.failed = 0
        self.count = 0

    def check(self, name, cond, detail=""):
        self.count += 1
        if cond:
            print("ok %d - %s" % (self.count, name))
        else:
            self.failed += 1
            print("not ok %d - %s %s" % (self.count, name, detail))
        sys.stdout.flush()
        return cond

    def finish(self):
        print("1..%d" % self.count)
        if self.failed:
            print("%d of %d checks failed" % (self.failed, self.count))
        return 1 if self.failed else 0


def sanitizer_build():
    return os.environ.get("TV_SANITIZE", "none") not in ("", "none")
