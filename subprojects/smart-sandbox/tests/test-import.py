#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""--import of the shared Synthea sample (HealthLake bulk-export NDJSON) and of
a transaction Bundle with urn:uuid references.

Usage: test-import.py SMART_SANDBOX_EXE TOKEN_VALIDATOR_EXE|'' SHARED_DIR
The Synthea part is skipped when SHARED_DIR/data/synthea-10 is absent (or
$SMART_SHARED_DIR); without a validator the FHIR reads use the in-process
authorization mode."""

import importlib.util
import json
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


def file_counts(folder):
    counts, ids = {}, {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".ndjson"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    counts[r["resourceType"]] = counts.get(r["resourceType"], 0) + 1
                    ids.setdefault(r["resourceType"], []).append(r["id"])
    return counts, ids


def bundle_text():
    return json.dumps({
        "resourceType": "Bundle", "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:7f0c1d9e-0000-4000-8000-000000000001",
             "resource": {"resourceType": "Patient", "id": "imported-bundle-patient",
                          "name": [{"family": "Bündle", "given": ["Ïmport"]}], "birthDate": "1999"},
             "request": {"method": "POST", "url": "Patient"}},
            {"fullUrl": "urn:uuid:7f0c1d9e-0000-4000-8000-000000000002",
             "resource": {"resourceType": "Condition",
                          "subject": {"reference": "urn:uuid:7f0c1d9e-0000-4000-8000-000000000001"},
                          "code": {"text": "imported"}},
             "request": {"method": "POST", "url": "Condition"}},
        ]})


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    exe, validator, shared = sys.argv[1:4]
    shared = os.environ.get("SMART_SHARED_DIR") or shared
    synthea = os.path.join(shared, "data", "synthea-10")
    if not os.access(exe, os.X_OK):
        return h.SKIP
    if not os.path.isdir(synthea):
        print("# SKIP: %s is absent" % synthea)
        return h.SKIP
    have_validator = bool(validator) and os.access(validator, os.X_OK)
    extra = [] if have_validator else ["--in-process-authz"]
    workdir = tempfile.mkdtemp(prefix="sb-import-test-")
    data = os.path.join(workdir, "data")
    bundle = os.path.join(workdir, "bundle.json")
    with open(bundle, "w", encoding="utf-8") as f:
        f.write(bundle_text())
    counts, ids = file_counts(synthea)
    sb = None
    state = {}

    def first_start():
        nonlocal sb
        sb = h.Sandbox(exe, data, validator=validator if have_validator else None, extra=extra).start()
        state["before"] = sb.stats()["resources"]
        check(sb.stop() == 0, "clean stop")

    def import_synthea():
        nonlocal sb
        sb = h.Sandbox(exe, data, validator=validator if have_validator else None,
                       extra=extra + ["--import", synthea, "--import", bundle]).start()
        after = sb.stats()["resources"]
        # The Bundle adds one Patient and one Condition.
        for t, n in dict(counts, Patient=counts["Patient"] + 1, Condition=counts["Condition"] + 1).items():
            check(after.get(t, 0) - state["before"].get(t, 0) == n,
                  "%s: %d more stored, %d in the file" % (t, after.get(t, 0) - state["before"].get(t, 0), n))
        log = sb.stderr_text()
        for t, n in counts.items():
            check("imported %d %s from %s" % (n, t, synthea) in log, "import reported for %s" % t)

    def read_imported():
        token = sb.backend_token("system/*.read")
        for t in ("Patient", "Condition", "MedicationRequest", "Practitioner"):
            for rid in (ids[t][0], ids[t][-1]):
                r = sb.fhir_get("%s/%s" % (t, rid), token)
                check(r.status == 200 and r.json()["id"] == rid, "read %s/%s: %d" % (t, rid, r.status))
        pid = ids["Patient"][0]
        b = sb.fhir_get("MedicationRequest", token, {"patient": pid, "_summary": "count"}).json()
        with open(os.path.join(synthea, "MedicationRequest.ndjson"), encoding="utf-8") as f:
            want = sum(1 for line in f if line.strip()
                       and json.loads(line)["subject"]["reference"].endswith("/" + pid))
        check(b["total"] == want, "MedicationRequest?patient: %d, file has %d" % (b["total"], want))

    def bundle_references_rewritten():
        token = sb.backend_token("system/*.read")
        b = sb.fhir_get("Condition", token, {"patient": "imported-bundle-patient"}).json()
        check(b["total"] == 1, "the Bundle's Condition is found through its rewritten reference")
        c = b["entry"][0]["resource"]
        check(c["subject"]["reference"] == "Patient/imported-bundle-patient", "urn:uuid → Patient/id")
        check(c["id"] == "7f0c1d9e-0000-4000-8000-000000000002", "id from the fullUrl")

    def bad_import_changes_nothing():
        nonlocal sb
        before = sb.stats()["resources"]
        sb.stop()
        bad = os.path.join(workdir, "bad.ndjson")
        with open(bad, "w", encoding="utf-8") as f:
            f.write('{"resourceType":"Patient","id":"would-be-stored"}\n{not json\n')
        sb2 = h.Sandbox(exe, data, validator=validator if have_validator else None, extra=extra + ["--import", bad])
        try:
            sb2.start()
            check(False, "a bad import must stop the start")
        except h.TestFailure as e:
            check("exited before it was ready" in str(e), str(e))
        check("bad.ndjson:2" in sb2.stderr_text(), "the error names the file and line")
        sb = h.Sandbox(exe, data, validator=validator if have_validator else None, extra=extra).start()
        check(sb.stats()["resources"] == before, "nothing of the bad file was stored")

    def reset_restores_the_population():
        nonlocal sb
        sb.stop()
        seen = len(sb.stderr_text())
        sb = h.Sandbox(exe, data, validator=validator if have_validator else None,
                       extra=extra + ["--reset"]).start()
        check(sb.stats()["resources"] == state["before"], "--reset gives back the generated population")
        check("generated" in sb.stderr_text()[seen:], "regenerated after --reset")
        # --reset refuses a folder that is not a sandbox data dir.
        stranger = os.path.join(workdir, "not-a-sandbox")
        os.makedirs(stranger)
        with open(os.path.join(stranger, "precious.txt"), "w") as f:
            f.write("keep me")
        sb3 = h.Sandbox(exe, stranger, extra=extra + ["--reset"])
        try:
            sb3.start()
            check(False, "--reset on a foreign folder must fail")
        except h.TestFailure as e:
            check("exited before it was ready" in str(e), str(e))
        check(os.path.exists(os.path.join(stranger, "precious.txt")), "the foreign folder is untouched")

    try:
        tests = [("first_start", first_start), ("import_synthea", import_synthea),
                 ("read_imported", read_imported), ("bundle_references_rewritten", bundle_references_rewritten),
                 ("bad_import_changes_nothing", bad_import_changes_nothing),
                 ("reset_restores_the_population", reset_restores_the_population)]
        print("# validator: %s" % ("lambda" if have_validator else "in-process"))
        return h.run_tests("import", tests)
    finally:
        if sb is not None:
            sb.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
