// SPDX-License-Identifier: GPL-3.0-or-later
// Issue 6, benchmark (a): the reference SMART JavaScript client (fhirclient)
// reading what `smart-viewer-cli summary` reads, the way an app written
// with it would: the Patient, then every page (pageLimit: 0) of the
// patient's Conditions, MedicationStatements and MedicationRequests with
// _count=100 and the referenced Medications _include-d, the four requests
// started together as the CLI does. Prints the counts as JSON on stdout.
//
// The access token comes from SV_ACCESS_TOKEN and is never printed; the
// server and patient from SV_FHIR_BASE and SV_PATIENT.
//
// Usage: node fetch.mjs NODE_MODULES_DIR [include|resolve]
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.argv[2], "noop.js"));

// Counting the requests: fhirclient takes `fetch` from cross-fetch (over
// node-fetch) when it loads, so the counter goes in first.
let requests = 0;
const crossFetch = require("cross-fetch");
const realFetch = crossFetch.fetch;
crossFetch.fetch = function (...args) { requests++; return realFetch.apply(this, args); };
const smart = require("fhirclient/lib/entry/node");

const serverUrl = process.env.SV_FHIR_BASE;
const patient = process.env.SV_PATIENT;
const accessToken = process.env.SV_ACCESS_TOKEN;
if (!serverUrl || !patient || !accessToken) {
  console.error("fetch.mjs: SV_FHIR_BASE, SV_PATIENT and SV_ACCESS_TOKEN are needed");
  process.exit(2);
}

// The Node adapter wants a request and response only for the launch and
// redirect steps; a client made from a token response never touches them.
const client = smart({ headers: {}, url: "/" }, {}).client({
  serverUrl,
  tokenResponse: { access_token: accessToken, token_type: "Bearer", patient },
});

// "include" (default) asks the server for the Medications as the CLI does;
// "resolve" uses fhirclient's own resolveReferences instead (one read per
// distinct Medication, the library's documented way).
const resolve = process.argv[3] === "resolve";
const searches = [
  ["Condition", "", []],
  ["MedicationStatement", "&_include=MedicationStatement:medication", ["medicationReference"]],
  ["MedicationRequest", "&_include=MedicationRequest:medication", ["medicationReference"]],
];

const [patientResource, ...lists] = await Promise.all([
  client.request(`Patient/${encodeURIComponent(patient)}`),
  ...searches.map(([type, include, references]) =>
    client.request(`${type}?subject=Patient/${encodeURIComponent(patient)}&_count=100${resolve ? "" : include}`,
                   { pageLimit: 0, flat: true, resolveReferences: resolve ? references : [] })),
]);

const counts = { Patient: patientResource.resourceType === "Patient" ? 1 : 0 };
const shown = {};
for (const list of lists) {
  for (const resource of list) {
    // Resolved references are put in place of the reference (graph mode).
    if (resource.medicationReference?.resourceType === "Medication")
      counts.resolvedMedications = (counts.resolvedMedications || 0) + 1;
    counts[resource.resourceType] = (counts[resource.resourceType] || 0) + 1;
    // What the summary shows: entered-in-error rows are hidden.
    const hidden = resource.status === "entered-in-error"
      || resource.verificationStatus?.coding?.some((c) => c.code === "entered-in-error");
    if (!hidden)
      shown[resource.resourceType] = (shown[resource.resourceType] || 0) + 1;
  }
}
process.stdout.write(JSON.stringify({ counts, shown, requests }) + "\n");
