#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""FHIR API tests for smart-sandbox, over HTTP against the real binary and
the real token-validator (run through the Lambda Runtime API).

Usage: test-fhir.py SMART_SANDBOX_EXE TOKEN_VALIDATOR_EXE
Exit 77 (skip) when the validator is not available."""

import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.parse

_spec = importlib.util.spec_from_file_location(
    "harness", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-fhir-harness.py"))
h = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h)
check = h.check

FHIR_JSON = "application/fhir+json"


def is_outcome(r, status):
    check(r.status == status, "status %d, expected %d: %s" % (r.status, status, r.body[:300]))
    check((r.header("Content-Type") or "").startswith(FHIR_JSON),
          "content type %s" % r.header("Content-Type"))
    o = r.json()
    check(o["resourceType"] == "OperationOutcome", "an OperationOutcome")
    return o["issue"][0].get("diagnostics", "")


def date_range(v):
    """The same [lo, hi] a FHIR server gives a date of any precision."""
    import calendar
    if len(v) == 4:
        return v + "-01-01", v + "-12-31"
    if len(v) == 7:
        y, m = int(v[:4]), int(v[5:7])
        return v + "-01", "%s-%02d" % (v, calendar.monthrange(y, m)[1])
    return v[:10], v[:10]


class FhirTests:
    def __init__(self, exe, validator, workdir):
        self.exe = exe
        self.validator = validator
        self.workdir = workdir
        self.sb = h.Sandbox(exe, os.path.join(workdir, "data"), validator=validator)

    def setup(self):
        self.sb.start()
        self.token = self.sb.backend_token("system/*.read")
        self.all_patients = self.search_all("Patient")

    def teardown(self):
        status = self.sb.stop()
        check(status == 0, "smart-sandbox exit status %s" % status)

    def search(self, path, params=None, token=None, status=200, headers=None):
        r = self.sb.fhir_get(path, token or self.token, params, headers)
        check(r.status == status, "%s %s: status %d: %s" % (path, params, r.status, r.body[:300]))
        return r.json()

    def follow(self, bundle, token=None):
        """Every match of a search, following next links exactly as given."""
        out = list(h.resources(bundle))
        pages = 1
        while True:
            nxt = [l["url"] for l in bundle.get("link", []) if l["relation"] == "next"]
            if not nxt:
                return out, pages
            check(nxt[0].startswith(self.sb.fhir), "next link on the data store: %s" % nxt[0])
            r = self.sb.get(nxt[0], token or self.token)
            check(r.status == 200, "next page status %d" % r.status)
            bundle = r.json()
            out += h.resources(bundle)
            pages += 1
            check(pages < 200, "paging terminates")

    def search_all(self, path, params=None):
        b = self.search(path, dict(params or {}, _count="100"))
        res, _ = self.follow(b)
        return res

    # ---- tests ----

    def test_anonymous_discovery(self):
        r = self.sb.get(self.sb.fhir + "metadata")
        check(r.status == 200 and r.header("Content-Type").startswith(FHIR_JSON), "metadata is FHIR JSON")
        cs = r.json()
        check(cs["resourceType"] == "CapabilityStatement" and cs["fhirVersion"] == "4.0.1", "R4 capability")
        res = {x["type"]: x for x in cs["rest"][0]["resource"]}
        for t in ("Patient", "Condition", "MedicationStatement", "MedicationRequest", "Medication", "Practitioner"):
            check(t in res, "%s listed" % t)
            codes = sorted(i["code"] for i in res[t]["interaction"])
            check(codes == ["read", "search-type"], "read-only for %s: %s" % (t, codes))
        names = {p["name"] for p in res["Patient"]["searchParam"]}
        check({"_id", "name", "family", "given", "birthdate", "gender", "identifier",
               "general-practitioner"} <= names, "Patient search params: %s" % names)
        check(res["MedicationStatement"]["searchInclude"] == ["MedicationStatement:medication"], "include")
        sc = self.sb.discovery()
        for cap in ("launch-standalone", "client-public", "context-standalone-patient", "permission-offline",
                    "permission-patient", "permission-user", "permission-v1", "permission-v2",
                    "sso-openid-connect"):
            check(cap in sc["capabilities"], "capability %s" % cap)
        check(sc["code_challenge_methods_supported"] == ["S256"], "S256 only")
        check(sc["issuer"] == self.sb.issuer, "issuer of the ready line")
        check(sc["token_endpoint"].startswith(self.sb.root), "token endpoint on the sandbox")

    def test_errors_are_outcomes(self):
        r = self.sb.fhir_get("Patient", None)
        is_outcome(r, 401)
        check(r.header("WWW-Authenticate").startswith("Bearer "), "WWW-Authenticate Bearer")
        r = self.sb.fhir_get("Patient", self.token[:-4] + "AAAA")
        is_outcome(r, 401)
        check('error="invalid_token"' in r.header("WWW-Authenticate"), "invalid_token")
        is_outcome(self.sb.fhir_get("Patient/does-not-exist", self.token), 404)
        is_outcome(self.sb.fhir_get("Basic/x", self.token), 404)
        r = self.sb.request("DELETE", self.sb.fhir + "Patient/" + self.all_patients[0]["id"],
                            headers={"Authorization": "Bearer " + self.token})
        is_outcome(r, 405)
        is_outcome(self.sb.fhir_get("Patient", self.token, {"_count": "many"}), 400)
        is_outcome(self.sb.fhir_get("Patient", self.token, {"page": "bm90IGEgdG9rZW4"}), 400)
        is_outcome(self.sb.fhir_get("Patient", self.token, {"birthdate": "xx1970"}), 400)
        # Unknown parameters: ignored, or 400 when the client asks for strictness.
        b = self.search("Patient", {"frobnicate": "1", "_count": "1"})
        check(b["total"] == len(self.all_patients), "unknown parameter ignored")
        is_outcome(self.sb.fhir_get("Patient", self.token, {"frobnicate": "1"},
                                    {"Prefer": "handling=strict"}), 400)

    def test_read(self):
        p = self.all_patients[0]
        r = self.sb.fhir_get("Patient/" + p["id"], self.token)
        check(r.status == 200 and r.header("Content-Type").startswith(FHIR_JSON), "read status")
        check(r.json() == p, "read returns the same resource as search")

    def test_patient_search_params(self):
        pats = self.all_patients
        check(len(pats) >= 100, "at least 100 patients: %d" % len(pats))
        ids = {p["id"] for p in pats}
        check(len(ids) == len(pats), "no patient twice")
        b = self.search("Patient", {"_summary": "count"})
        check(b["total"] == len(pats) and "entry" not in b, "_summary=count")

        fem = self.search_all("Patient", {"gender": "female"})
        check(fem and all(p.get("gender") == "female" for p in fem), "gender")
        check(len(fem) == sum(1 for p in pats if p.get("gender") == "female"), "every female")

        # Birthdate prefixes against the same range semantics computed here.
        with_bd = [p for p in pats if "birthDate" in p]
        sizes = []
        for prefix, val in (("", "1970"), ("eq", "1985-06"), ("gt", "1990-01-01"), ("lt", "1950-12-31"),
                            ("ge", "1980"), ("le", "2000-02-29"), ("sa", "1960"), ("eb", "1960"),
                            ("ne", "1980")):
            lo, hi = date_range(val)

            def want(p):
                plo, phi = date_range(p["birthDate"])
                return {"": plo >= lo and phi <= hi, "eq": plo >= lo and phi <= hi,
                        "ne": not (plo >= lo and phi <= hi), "gt": phi > hi, "lt": plo < lo,
                        "ge": phi >= lo, "le": plo <= hi, "sa": plo > hi, "eb": phi < lo}[prefix]
            got = {p["id"] for p in self.search_all("Patient", {"birthdate": prefix + val})}
            exp = {p["id"] for p in with_bd if want(p)}
            check(got == exp, "birthdate=%s%s: %d results, expected %d" % (prefix, val, len(got), len(exp)))
            sizes.append(len(got))
        check(sum(1 for n in sizes if 0 < n < len(with_bd)) >= 5, "birthdate searches discriminate: %s" % sizes)

        p = next(p for p in pats if p.get("name") and p["name"][0].get("family"))
        fam = p["name"][0]["family"]
        got = self.search_all("Patient", {"family": fam[:3].lower()})
        check(p["id"] in {x["id"] for x in got}, "family prefix, case-insensitive")
        check(all(any(n.get("family", "").lower().startswith(fam[:3].lower()) for n in x["name"]) for x in got),
              "only matching families")
        got = self.search_all("Patient", {"name": fam})
        check(p["id"] in {x["id"] for x in got}, "name")
        given = p["name"][0].get("given", [None])[0]
        if given:
            check(p["id"] in {x["id"] for x in self.search_all("Patient", {"given": given})}, "given")

        p = next(p for p in pats if p.get("identifier"))
        ident = p["identifier"][0]
        got = self.search_all("Patient", {"identifier": "%s|%s" % (ident.get("system", ""), ident["value"])})
        check([x["id"] for x in got] == [p["id"]], "identifier system|value")

        gp = next(p for p in pats if p.get("generalPractitioner"))["generalPractitioner"][0]["reference"]
        got = self.search_all("Patient", {"general-practitioner": gp})
        check(got and all(gp in [g["reference"] for g in x.get("generalPractitioner", [])] for x in got),
              "general-practitioner")
        check(len(got) == sum(1 for x in pats if gp in [g["reference"] for g in x.get("generalPractitioner", [])]),
              "every patient of that GP")

        b = self.search("Patient", {"family": "zzzz-nobody"})
        check(b["total"] == 0 and "entry" not in b, "an empty searchset has no entry array")

        two = sorted(x["id"] for x in pats[:2])
        got = sorted(x["id"] for x in self.search_all("Patient", {"_id": ",".join(two)}))
        check(got == two, "_id comma list")

    def test_clinical_search_params(self):
        large = self.sb.config().get("sandbox", "large_patient_id", fallback=None)
        pid = next(p["id"] for p in self.all_patients if p["id"] != large)
        conds = self.search_all("Condition", {"patient": pid})
        check(conds and all(c["subject"]["reference"] == "Patient/" + pid for c in conds), "Condition?patient")
        same = self.search_all("Condition", {"subject": "Patient/" + pid})
        check({c["id"] for c in same} == {c["id"] for c in conds}, "subject = patient")
        active = self.search_all("Condition", {"patient": pid, "clinical-status": "active"})
        check({c["id"] for c in active} == {c["id"] for c in conds
                                            if any(x.get("code") == "active" for x in c.get("clinicalStatus", {}).get("coding", []))},
              "clinical-status")
        c = next(c for c in conds if c.get("code", {}).get("coding"))
        coding = c["code"]["coding"][0]
        got = self.search_all("Condition", {"patient": pid, "code": "%s|%s" % (coding["system"], coding["code"])})
        check(c["id"] in {x["id"] for x in got}, "code system|code")
        cat = self.search_all("Condition", {"patient": pid, "category": "problem-list-item"})
        check(all(any(cc.get("code") == "problem-list-item" for k in x.get("category", []) for cc in k.get("coding", []))
                  for x in cat), "category")

        mrs = self.search_all("MedicationRequest", {"status": "active", "_count": "100"})
        check(all(m["status"] == "active" for m in mrs), "MedicationRequest status")

        # _include: every referenced shared Medication comes along, once.
        b = self.search("MedicationStatement", {"_include": "MedicationStatement:medication", "_count": "100"})
        refs = {m["medicationReference"]["reference"] for m in h.resources(b)
                if m.get("medicationReference", {}).get("reference", "").startswith("Medication/")}
        inc = [e["resource"] for e in b.get("entry", []) if e["search"]["mode"] == "include"]
        check(refs, "the first page references shared Medications")
        check({"Medication/" + m["id"] for m in inc} == refs and len(inc) == len(refs), "_include")
        meds = self.search_all("Medication")
        two = sorted(m["id"] for m in meds[:2])
        check(sorted(m["id"] for m in self.search_all("Medication", {"_id": ",".join(two)})) == two,
              "Medication _id list")

        # POST _search finds what GET finds.
        r = self.sb.post_form(self.sb.fhir + "Condition/_search", {"patient": pid, "_count": "100"}, self.token)
        check(r.status == 200, "POST _search status %d" % r.status)
        check({c["id"] for c in self.follow(r.json())[0]} == {c["id"] for c in conds}, "POST _search")

    def test_count_and_paging_large_record(self):
        b = self.search("Patient", {"_count": "500"})
        check(len(b["entry"]) == 100, "_count is capped at 100")
        b = self.search("Patient", {"_count": "7"})
        check(len(b["entry"]) == 7, "_count=7")
        b = self.search("Patient")
        check(len(b["entry"]) == 100, "default _count is 100")
        self_link = [l["url"] for l in b["link"] if l["relation"] == "self"]
        check(self_link and self_link[0].startswith(self.sb.fhir + "Patient"), "self link")

        large = self.sb.config().get("sandbox", "large_patient_id")
        total = self.search("Condition", {"patient": large, "_summary": "count"})["total"]
        check(total >= 2000, "large record has >= 2000 Conditions (%d)" % total)
        first = self.search("Condition", {"patient": large, "_count": "100"})
        check(first["total"] == total, "Bundle.total")
        conds, pages = self.follow(first)
        ids = [c["id"] for c in conds]
        check(len(ids) == len(set(ids)), "no Condition twice")
        check(len(ids) == total, "every Condition once: %d of %d" % (len(ids), total))
        check(pages == (total + 99) // 100, "pages of 100")
        check(all(c["subject"]["reference"] == "Patient/" + large for c in conds), "all of that patient")
        n_meds = sum(self.search(t, {"patient": large, "_summary": "count"})["total"]
                     for t in ("MedicationStatement", "MedicationRequest"))
        check(n_meds >= 2000, ">= 2000 medication entries (%d)" % n_meds)

    def test_faults(self):
        sb = self.sb
        try:
            sb.faults(throttle_every=2, retry_after=3)
            st = [sb.fhir_get("Patient", self.token, {"_count": "1"}) for _ in range(4)]
            codes = [r.status for r in st]
            check(codes == [200, 429, 200, 429], "every 2nd search throttled: %s" % codes)
            is_outcome(st[1], 429)
            check(st[1].header("Retry-After") == "3", "Retry-After")
            sb.clear_faults()

            sb.faults(error_500_type="Condition")
            is_outcome(sb.fhir_get("Condition", self.token, {"_count": "1"}), 500)
            check(sb.fhir_get("Patient", self.token, {"_count": "1"}).status == 200, "other types fine")
            sb.clear_faults()

            sb.faults(foreign_next_link=True)
            b = self.search("Patient", {"_count": "1"})
            nxt = [l["url"] for l in b["link"] if l["relation"] == "next"][0]
            check(not nxt.startswith(sb.root), "next link points elsewhere: %s" % nxt)
            sb.clear_faults()

            sb.faults(truncated_json=True)
            r = sb.fhir_get("Patient", self.token, {"_count": "3"})
            try:
                json.loads(r.body)
                check(False, "truncated JSON")
            except ValueError:
                pass
            check(sb.fhir_get("Patient", self.token, {"_count": "3"}).json()["resourceType"] == "Bundle",
                  "truncation is one-shot")
            r = sb.post_json(sb.root + "/_sandbox/faults", {"no_such_fault": 1})
            check(r.status == 400, "unknown fault refused")
        finally:
            sb.clear_faults()

    def events_until(self, ev, kinds, n):
        got = []
        deadline = time.monotonic() + 15
        while len(got) < n and time.monotonic() < deadline:
            e = ev.next(1)
            if e is not None and e["kind"] in kinds:
                got.append(e)
        return got

    def test_expire_switch(self):
        sb = self.sb
        ev = h.EventStream(sb)
        try:
            before = sb.backend_token("system/*.read")
            check(sb.fhir_get("Patient", before, {"_count": "1"}).status == 200, "works before")
            r = sb.post_json(sb.root + "/_sandbox/faults", {"expire_access_tokens": True})
            check(r.status == 200 and r.json()["expired_now"] >= 2, "expired now: %s" % r.body)
            check(r.json()["expired_access_tokens"] == r.json()["expired_now"], "state shows them")
            r = sb.fhir_get("Patient", before, {"_count": "1"})
            d = is_outcome(r, 401)
            check('error="invalid_token"' in r.header("WWW-Authenticate") and "expired" in d,
                  "answered as expired: %s %s" % (r.header("WWW-Authenticate"), d))
            check(sb.fhir_get("Patient", self.token, {"_count": "1"}).status == 401, "every token issued before")
            after = sb.backend_token("system/*.read")
            check(sb.fhir_get("Patient", after, {"_count": "1"}).status == 200, "a token issued after works")
            # The first request's two events, then the switch and three
            # requests (discovery, anonymous, left out).
            got = [e for e in self.events_until(ev, ("expire", "validator-invocation", "fhir-request"), 11)
                   if e.get("decision") != "anonymous"][2:]
            kinds = [e["kind"] for e in got]
            check(kinds[0] == "expire" and got[0]["access_tokens"] >= 2, "expire event first: %s" % kinds)
            vi = [e for e in got if e["kind"] == "validator-invocation"]
            fr = [e for e in got if e["kind"] == "fhir-request"]
            check(len(vi) == 3 and len(fr) == 3, "three validations: %s" % kinds)
            check([e.get("fault") for e in vi] == ["expire_access_tokens"] * 2 + [None], "fault named: %s" % vi)
            check([e["decision"] for e in vi] == ["deny", "deny", "allow"], "decisions %s" % vi)
            check(fr[0]["decision"] == "denied: token expired (fault switch)" and fr[0]["status"] == 401,
                  "request event says the switch did it: %s" % fr[0])
            raw = json.dumps(got)
            check(before not in raw and before.split(".")[1] not in raw, "no token in events")
        finally:
            ev.close()
            sb.clear_faults()
        check(sb.fhir_get("Patient", self.token, {"_count": "1"}).status == 200, "reset ends it")

    def test_revoke_switch(self):
        sb = self.sb
        disc = sb.discovery()
        tok = sb.user_token("clinician", "openid fhirUser offline_access user/*.read", full=True)
        check("refresh_token" in tok, "a refresh token to revoke")
        ev = h.EventStream(sb)
        try:
            r = sb.post_json(sb.root + "/_sandbox/faults", {"revoke_sessions": True})
            check(r.status == 200 and r.json()["revoked_sessions"] >= 1, "revoked: %s" % r.body)
            got = self.events_until(ev, ("revoke",), 1)
            check(got and got[0]["reason"] == "fault switch revoke_sessions" and got[0]["what"] == "grant",
                  "revoke event: %s" % got)
            r = sb.post_form(disc["token_endpoint"], {"grant_type": "refresh_token", "client_id": sb.client_id,
                                                      "refresh_token": tok["refresh_token"]})
            check(r.status == 400 and r.json()["error"] == "invalid_grant", "refresh refused: %s" % r.body)
            # As on HealthLake: the validator checks the JWT only, so the
            # access token works until it expires (or the expire switch).
            check(sb.fhir_get("Patient", tok["access_token"], {"_count": "1"}).status == 200,
                  "access token still accepted")
            r = sb.post_json(sb.root + "/_sandbox/faults", {"revoke_sessions": True})
            check(r.status == 200 and r.json()["revoked_sessions"] == 0, "nothing left to revoke: %s" % r.body)
            r = sb.post_json(sb.root + "/_sandbox/faults", {"revoke_sessions": 1})
            check(r.status == 400, "a boolean only")
        finally:
            ev.close()
            sb.clear_faults()

    def test_validator_timeout(self):
        sb = self.sb
        try:
            sb.faults(validator_delay_ms=1500)
            r = sb.fhir_get("Patient", self.token, {"_count": "1"})
            d = is_outcome(r, 500)
            check(d == "Timeout during custom Idp execution.", "timeout message: %s" % d)
        finally:
            sb.clear_faults()
        # The worker that never saw that event still serves the next one.
        check(sb.fhir_get("Patient", self.token, {"_count": "1"}).status == 200, "recovers")

    def test_events_report_each_validation(self):
        sb = self.sb
        ev = h.EventStream(sb)
        try:
            pid = self.all_patients[0]["id"]
            requests = [("Patient/" + pid, None), ("Condition", {"patient": pid}),
                        ("Patient/no-such-patient", None), ("Medication", {"_count": "2"})]
            for path, params in requests:
                sb.fhir_get(path, self.token, params)
            # Without a token the validator is not asked, but the request is reported.
            sb.fhir_get("Patient", None)
            got = []
            deadline = time.monotonic() + 15
            while len(got) < 2 * len(requests) + 1 and time.monotonic() < deadline:
                e = ev.next(1)
                if e is not None and e["kind"] in ("validator-invocation", "fhir-request"):
                    got.append(e)
            vi = [e for e in got if e["kind"] == "validator-invocation"]
            fr = [e for e in got if e["kind"] == "fhir-request"]
            check(len(vi) == len(requests), "one validator invocation per request: %d" % len(vi))
            check(len(fr) == len(requests) + 1, "one fhir-request event per request: %d" % len(fr))
            check(fr[-1]["status"] == 401 and fr[-1]["decision"] == "no token", "the tokenless request")
            fr = fr[:-1]
            # Nothing else arrives: no invocation for the tokenless request.
            extra = ev.next(0.5)
            check(extra is None, "no further event: %s" % extra)
            check(all(e["decision"] == "allow" and e["runtime"] == "lambda" and "latency_us" in e for e in vi),
                  "invocations allowed through the Lambda")
            # The request ids are the ones the validator workers logged.
            logged = ""
            for name in os.listdir(sb.data_dir):
                if name.startswith("lambda-") and name.endswith(".log"):
                    with open(os.path.join(sb.data_dir, name), encoding="utf-8") as f:
                        logged += f.read()
            check(all(e["requestId"] in logged for e in vi), "request ids match the validator's log")
            check(self.token.split(".")[2] not in logged, "no signature in the validator's log")
            check([e["status"] for e in fr] == [200, 200, 404, 200], "statuses %s" % [e["status"] for e in fr])
            raw = json.dumps(got)
            check(self.token not in raw and self.token.split(".")[2] not in raw and "bearerToken" not in raw,
                  "no token in events")
            check(all("time" in e for e in got), "events have a time")
        finally:
            ev.close()

    def test_external_issuer(self):
        # A second sandbox trusts this one's IdP as a third-party issuer.
        a = self.sb
        b = h.Sandbox(self.exe, os.path.join(self.workdir, "external"), flavor="keycloak",
                      validator=self.validator,
                      extra=["--external-issuer", a.issuer, "--external-client-id", "smart-backend",
                             "--lambda-concurrency", "1"])
        b.start()
        try:
            check(b.issuer == a.issuer, "ready line names the external issuer")
            sc = b.discovery()
            check(sc["issuer"] == a.issuer and sc["token_endpoint"].startswith(a.root),
                  "smart-configuration points at the external IdP")
            r = b.get(b.root + "/realms/smart/.well-known/openid-configuration")
            check(r.status == 404, "own IdP is off: %d" % r.status)
            token = a.backend_token("system/*.read")
            bund = b.fhir_get("Patient", token, {"_count": "1"})
            check(bund.status == 200, "external token accepted: %d %s" % (bund.status, bund.body[:200]))
            check(len(b.children()) == 1, "--lambda-concurrency 1")
            for key in ("expire_access_tokens", "revoke_sessions"):
                r = b.post_json(b.root + "/_sandbox/faults", {key: True})
                check(r.status == 400 and key in r.body, "%s needs the own IdP: %s" % (key, r.body))
        finally:
            check(b.stop() == 0, "clean stop")

    def test_restart_keeps_data(self):
        sb = self.sb
        before = sb.stats()["resources"]
        fhir = sb.fhir
        kids = sb.children()
        check(len(kids) == 2, "two validator workers by default: %s" % kids)
        status = sb.stop()
        check(status == 0, "clean exit on SIGTERM: %s" % status)
        for pid in kids:
            check(not os.path.exists("/proc/%d" % pid) or
                  open("/proc/%d/stat" % pid).read().split()[2] == "Z", "worker %d stopped" % pid)
        log_before = sb.stderr_text()
        sb.start()
        check(urllib.parse.urlsplit(sb.fhir).path == urllib.parse.urlsplit(fhir).path,
              "same data store id after restart (the port is new)")
        check(sb.stats()["resources"] == before, "same resources after restart")
        check(sb.stderr_text()[len(log_before):].find("generated") < 0, "no regeneration")
        # A token from before names the old port in iss: refused; a new one works.
        check(sb.fhir_get("Patient", self.token, {"_count": "1"}).status == 401, "old issuer refused")
        self.token = sb.backend_token("system/*.read")
        check(sb.fhir_get("Patient", self.token, {"_count": "1"}).status == 200, "new token works")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    exe, validator = sys.argv[1], sys.argv[2]
    if not os.access(exe, os.X_OK):
        print("# smart-sandbox not found: %s" % exe)
        return h.SKIP
    if not validator or not os.access(validator, os.X_OK):
        print("# SKIP: token-validator not available (%r)" % validator)
        return h.SKIP
    workdir = tempfile.mkdtemp(prefix="sb-fhir-test-")
    t = FhirTests(exe, validator, workdir)
    try:
        t0 = time.monotonic()
        t.setup()
        print("# sandbox ready in %.1f s" % (time.monotonic() - t0), flush=True)
        only = os.environ.get("SB_FHIR_TEST_ONLY")
        names = ["test_anonymous_discovery", "test_errors_are_outcomes", "test_read",
                 "test_patient_search_params", "test_clinical_search_params",
                 "test_count_and_paging_large_record", "test_faults", "test_expire_switch", "test_revoke_switch",
                 "test_validator_timeout",
                 "test_events_report_each_validation", "test_external_issuer", "test_restart_keeps_data"]
        tests = [(n, getattr(t, n)) for n in names if not only or only in n]
        return h.run_tests("fhir", tests)
    finally:
        try:
            t.teardown()
        finally:
            if os.environ.get("SB_KEEP_TMP"):
                print("# kept %s" % workdir)
            else:
                shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
