#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The scope matrix of smart-sandbox: patient/, user/ and system/ scopes in
v1 and v2 syntax, for read and search, including cross-patient requests
that must be refused, with tokens obtained through the sandbox's own IdP
and validated by the real token-validator.

Usage: test-authz.py SMART_SANDBOX_EXE TOKEN_VALIDATOR_EXE FLAVOR
Exit 77 (skip) when the validator is not available."""

import importlib.util
import os
import shutil
import sys
import tempfile
import time

_spec = importlib.util.spec_from_file_location(
    "harness", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-fhir-harness.py"))
h = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h)
check = h.check


class AuthzTests:
    def __init__(self, exe, validator, flavor, workdir):
        self.sb = h.Sandbox(exe, os.path.join(workdir, "data"), flavor=flavor, validator=validator)

    def setup(self):
        sb = self.sb
        sb.start()
        self.sys_token = sb.backend_token("system/*.read")
        cfg = sb.config()
        self.me = cfg.get("user:patient", "patient")
        self.clinician = cfg.get("user:clinician", "fhirUser")
        check(self.clinician.startswith("Practitioner/"), "clinician is a Practitioner")
        pats = self.all("Patient", self.sys_token)
        self.pats = {p["id"]: p for p in pats}
        me = self.pats[self.me]
        self.linked = {l["other"]["reference"].split("/", 1)[1] for l in me.get("link", [])
                       if l.get("other", {}).get("reference", "").startswith("Patient/")}
        check(self.linked, "the demo patient has a Patient.link")
        self.gp = {p["id"] for p in pats
                   if self.clinician in [g.get("reference") for g in p.get("generalPractitioner", [])]}
        check(len(self.gp) >= 5, "the clinician is GP of many patients (%d)" % len(self.gp))
        self.stranger = next(i for i in sorted(self.pats)
                             if i not in self.gp and i != self.me and i not in self.linked)
        self.gp_one = sorted(self.gp - {self.me})[0]
        # One Condition of each, found with the system token.
        self.cond_of = {}
        for pid in (self.me, self.stranger, self.gp_one):
            b = self.search("Condition", self.sys_token, {"patient": pid, "_count": "1"})
            check(b.get("entry"), "Patient/%s has Conditions" % pid)
            self.cond_of[pid] = b["entry"][0]["resource"]["id"]

    def teardown(self):
        status = self.sb.stop()
        check(status == 0, "smart-sandbox exit status %s" % status)

    def search(self, path, token, params=None, status=200):
        r = self.sb.fhir_get(path, token, params)
        check(r.status == status, "%s %s: %d (expected %d): %s" % (path, params, r.status, status, r.body[:300]))
        return r.json()

    def all(self, path, token, params=None):
        b = self.search(path, token, dict(params or {}, _count="100"))
        out = h.resources(b)
        while True:
            nxt = [l["url"] for l in b.get("link", []) if l["relation"] == "next"]
            if not nxt:
                return out
            r = self.sb.get(nxt[0], token)
            check(r.status == 200, "next page")
            b = r.json()
            out += h.resources(b)

    def read(self, path, token, status):
        r = self.sb.fhir_get(path, token)
        check(r.status == status, "read %s: %d (expected %d): %s" % (path, r.status, status, r.body[:200]))
        return r

    def refused(self, r, scope_hint=None):
        o = r.json()
        check(o["resourceType"] == "OperationOutcome", "refusal is an OperationOutcome")
        d = o["issue"][0]["diagnostics"]
        if scope_hint:
            check(scope_hint in d, "refusal names %s: %s" % (scope_hint, d))

    def compartment(self, token, allowed):
        """Reads/searches inside allowed pass; outside are refused."""
        inside = sorted(allowed)[0]
        self.read("Patient/" + inside, token, 200)
        self.refused(self.read("Patient/" + self.stranger, token, 403))
        got = {p["id"] for p in self.all("Patient", token)}
        check(got == set(allowed), "Patient search is limited to %d patients (got %d)" % (len(allowed), len(got)))

    # ---- the matrix ----

    def test_patient_v1(self):
        t = self.sb.user_token("patient", "launch/patient openid fhirUser patient/Patient.read patient/Condition.read")
        self.compartment(t, {self.me})
        conds = self.all("Condition", t, {"patient": self.me})
        check(conds and all(h.patient_of(c) == self.me for c in conds), "own Conditions")
        check({h.patient_of(c) for c in self.all("Condition", t)} == {self.me},
              "an unfiltered search stays in the compartment")
        self.refused(self.sb.fhir_get("Condition", t, {"patient": self.stranger}))
        check(self.sb.fhir_get("Condition", t, {"patient": self.stranger}).status == 403, "cross-patient search")
        self.read("Condition/" + self.cond_of[self.me], t, 200)
        self.refused(self.read("Condition/" + self.cond_of[self.stranger], t, 403))
        r = self.sb.fhir_get("MedicationRequest", t)
        check(r.status == 403, "no MedicationRequest scope: %d" % r.status)
        self.refused(r, "patient/MedicationRequest.s")

    def test_patient_v2(self):
        t = self.sb.user_token("patient", "launch/patient patient/Patient.r patient/Condition.s")
        self.read("Patient/" + self.me, t, 200)
        self.refused(self.read("Patient/" + self.stranger, t, 403))
        r = self.sb.fhir_get("Patient", t)
        check(r.status == 403, "v2 r does not allow search")
        self.refused(r, "patient/Patient.s")
        conds = self.all("Condition", t, {"patient": self.me})
        check(conds and all(h.patient_of(c) == self.me for c in conds), "search with .s")
        self.refused(self.read("Condition/" + self.cond_of[self.me], t, 403), "patient/Condition.r")
        check(self.sb.fhir_get("Condition", t, {"subject": "Patient/" + self.stranger}).status == 403,
              "cross-patient search by subject")

    def test_user_v1_practitioner(self):
        t = self.sb.user_token("clinician", "openid fhirUser user/*.read")
        self.compartment(t, self.gp)
        conds = self.all("Condition", t, {"patient": self.gp_one})
        check(conds, "Conditions of one of the clinician's patients")
        check(self.sb.fhir_get("Condition", t, {"patient": self.stranger}).status == 403, "not my patient")
        self.read("Condition/" + self.cond_of[self.gp_one], t, 200)
        self.read("Condition/" + self.cond_of[self.stranger], t, 403)
        self.read(self.clinician, t, 200)   # Practitioner: outside any compartment

    def test_user_v2_practitioner(self):
        t = self.sb.user_token("clinician", "fhirUser user/Patient.rs user/Condition.rs")
        self.compartment(t, self.gp)
        r = self.sb.fhir_get("MedicationRequest", t, {"patient": self.gp_one})
        check(r.status == 403, "no MedicationRequest scope")
        self.refused(r, "user/MedicationRequest.s")

    def test_user_v2_patient_links(self):
        t = self.sb.user_token("patient", "openid fhirUser user/Patient.rs")
        self.compartment(t, {self.me} | self.linked)

    def test_system_v1_v2(self):
        t = self.sb.backend_token("system/*.read")
        self.read("Patient/" + self.stranger, t, 200)
        self.read("Condition/" + self.cond_of[self.stranger], t, 200)
        check(len(self.all("Patient", t)) == len(self.pats), "system sees every patient")
        t = self.sb.backend_token("system/Condition.rs")
        self.read("Condition/" + self.cond_of[self.stranger], t, 200)
        self.search("Condition", t, {"patient": self.me})
        self.refused(self.read("Patient/" + self.stranger, t, 403), "system/Patient.r")

    def test_picked_patient(self):
        # A clinician launching with a patient picked: patient/ scopes reach that one only.
        t = self.sb.user_token("clinician", "launch/patient openid fhirUser patient/*.rs", pick=self.gp_one)
        self.compartment(t, {self.gp_one})


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    exe, validator, flavor = sys.argv[1:4]
    if not os.access(exe, os.X_OK):
        return h.SKIP
    if not validator or not os.access(validator, os.X_OK):
        print("# SKIP: token-validator not available (%r)" % validator)
        return h.SKIP
    workdir = tempfile.mkdtemp(prefix="sb-authz-test-")
    t = AuthzTests(exe, validator, flavor, workdir)
    try:
        t0 = time.monotonic()
        t.setup()
        print("# %s sandbox ready in %.1f s" % (flavor, time.monotonic() - t0), flush=True)
        names = [n for n in dir(t) if n.startswith("test_")]
        return h.run_tests("authz-" + flavor, [(n, getattr(t, n)) for n in sorted(names)])
    finally:
        try:
            t.teardown()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
