# SPDX-License-Identifier: GPL-3.0-or-later
"""A person at smart-sandbox's sign-in pages, for tests and benchmarks.

It fills the login form (clinician / demo), picks a patient in the picker,
allows everything on the consent page and stops at the app's redirect,
without ever following a redirect it was not told to.
"""

import html.parser
import urllib.error
import urllib.parse
import urllib.request


class Forms(html.parser.HTMLParser):
    """Every form of a page: its action, fields, radio choices and buttons."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self.current = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.current = {"action": a.get("action", ""), "fields": [], "radios": [], "buttons": []}
            self.forms.append(self.current)
        elif self.current is not None and tag == "input":
            kind = a.get("type", "text")
            if kind == "radio":
                self.current["radios"].append((a.get("name"), a.get("value")))
            elif kind == "checkbox":
                if "checked" in a:
                    self.current["fields"].append((a.get("name"), a.get("value")))
            elif a.get("name"):
                self.current["fields"].append((a.get("name"), a.get("value", "")))
        elif self.current is not None and tag == "button" and a.get("name"):
            self.current["buttons"].append((a.get("name"), a.get("value")))

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


opener = urllib.request.build_opener(NoRedirect)


def fetch(url, data=None):
    """One request without following redirects: (status, location, body)."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(urllib.request.Request(url, data=body), timeout=20) as response:
            return response.status, response.headers.get("Location"), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location"), error.read().decode("utf-8", "replace")


def play_browser(url, patient=None, follow_redirect=True):
    """Goes through login, picker (the first patient, or `patient`) and
    consent like a person. Returns (pages seen, the redirect address); with
    follow_redirect the browser also opens it (a CLI's loopback listener)."""
    pages = []
    status, location, body = fetch(url)
    for _ in range(12):
        if location is not None:
            if "/oauth2redirect" in location:
                if follow_redirect:
                    status, _, _ = fetch(location)
                    if status != 200:
                        raise RuntimeError(f"the redirect listener answered HTTP {status}")
                    pages.append("redirect")
                return pages, location
            status, location, body = fetch(urllib.parse.urljoin(url, location))
            continue
        parser = Forms()
        parser.feed(body)
        form = None
        for candidate in parser.forms:
            names = {name for name, _ in candidate["fields"]}
            if "username" in names:
                form = candidate
                fields = [(n, v) for n, v in candidate["fields"] if n not in ("username", "password")]
                fields += [("username", "clinician"), ("password", "demo"), ("decision", "login")]
                pages.append("login")
            elif candidate["radios"]:
                choice = [r for r in candidate["radios"] if patient is None or r[1] == patient][:1]
                if not choice:
                    raise RuntimeError(f"{patient} is not offered in the patient picker")
                form = candidate
                fields = candidate["fields"] + choice + [("decision", "continue")]
                pages.append("picker")
            elif ("decision", "allow") in candidate["buttons"]:
                form = candidate
                fields = candidate["fields"] + [("decision", "allow")]
                pages.append("consent")
            if form is not None:
                break
        if form is None:
            raise RuntimeError(f"unexpected page (HTTP {status}): {body[:300]}")
        target = urllib.parse.urljoin(url, form["action"] or url)
        status, location, body = fetch(target, fields)
    raise RuntimeError("the sign-in did not come back to the redirect address")
