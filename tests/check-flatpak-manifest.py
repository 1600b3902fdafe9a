#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline checks of the Flatpak manifest.

The GNOME runtime cannot be downloaded on the development machine, so this
checks what can be checked without it: the manifest parses, its id, command
and finish-args agree with data/ and meson.build, the runtime and SDK match,
every downloaded source is pinned (https URL + sha256, or git commit), and
every dependency() of the meson build is either in the runtime or built by a
module of the manifest.

Usage: check-flatpak-manifest.py SOURCE_ROOT
Exit status: 0 when everything holds, 1 otherwise (each problem is printed).
"""

import json
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

MANIFEST = pathlib.PurePosixPath('flatpak/io.github.smartviewer.SmartViewer.json')

# STYLE.md lists exactly these; flatpak/README.md explains each one.
REQUIRED_FINISH_ARGS = (
    '--share=network',
    '--share=ipc',
    '--socket=fallback-x11',
    '--socket=wayland',
    '--device=dri',
)
# Anything beyond the required set must be justified in flatpak/README.md
# and only then added here.
ALLOWED_FINISH_ARGS = frozenset(REQUIRED_FINISH_ARGS)

# Permissions that would undo the sandbox the app relies on; each gets a
# specific message so that whoever adds one learns why it is refused.
FORBIDDEN_FINISH_ARGS = {
    '--talk-name=org.freedesktop.secrets':
        'libsecret uses the Secret portal inside Flatpak; direct Secret '
        'Service access would expose every other app\'s secrets',
    '--socket=x11': 'use --socket=fallback-x11 so Wayland sessions stay isolated',
    '--socket=session-bus': 'the whole session bus is not needed',
    '--socket=system-bus': 'the whole system bus is not needed',
    '--device=all': '--device=dri is enough for GPU rendering',
    '--filesystem=host': 'the app needs no file access',
    '--filesystem=host-os': 'the app needs no file access',
    '--filesystem=host-etc': 'the app needs no file access',
    '--filesystem=home': 'the app needs no file access',
}
FORBIDDEN_FILESYSTEM_PREFIXES = ('home', 'host', '~', '/')

RUNTIME = 'org.gnome.Platform'
SDK = 'org.gnome.Sdk'
# WebKitGTK 6.0 is in the GNOME runtime since 44; older than 47 is long EOL.
MIN_RUNTIME_BRANCH = 47

# pkg-config names the GNOME runtime (or the freedesktop runtime below it)
# ships in the Platform, not only in the SDK.
RUNTIME_PROVIDES = frozenset({
    'threads',
    'glib-2.0', 'gobject-2.0', 'gio-2.0', 'gio-unix-2.0', 'gmodule-2.0',
    'gtk4', 'libadwaita-1', 'webkitgtk-6.0', 'javascriptcoregtk-6.0',
    'libsoup-3.0', 'json-glib-1.0', 'libsecret-1',
    'sqlite3', 'libcrypto', 'libssl', 'openssl', 'libcurl', 'zlib',
    'libxml-2.0',
})
# Modules of the manifest and the pkg-config names they install.
MODULE_PROVIDES = {
    'jansson': frozenset({'jansson'}),
    'cjose': frozenset({'cjose'}),
}
# The app's core (id_token checks) and both companions (token-validator,
# smart-sandbox) link these; listed in build order (cjose needs jansson).
REQUIRED_MODULES = ('jansson', 'cjose')

# cjose before this version has the JWE CVEs of 2026 (see flatpak/README.md);
# they are unreachable only as long as nothing calls the JWE API.
CJOSE_JWE_SAFE_VERSION = (0, 6, 2, 5)

SHA256_RE = re.compile(r'^[0-9a-f]{64}$')
COMMIT_RE = re.compile(r'^[0-9a-f]{40}$')
SKIP_DIRS = ('.git', '.flatpak-builder')


class Checker:
    def __init__(self, root):
        self.root = root
        self.errors = []
        self.passed = []

    def fail(self, msg):
        self.errors.append(msg)

    def ok(self, msg):
        self.passed.append(msg)

    def read(self, rel):
        path = self.root / rel
        try:
            return path.read_text(encoding='utf-8')
        except OSError as e:
            self.fail(f'cannot read {rel}: {e.strerror}')
            return None


def reject_duplicate_keys(pairs):
    # json.load keeps the last of two equal keys; flatpak-builder's parser may
    # not, and a duplicated "finish-args" would hide what is really granted.
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f'duplicate key "{key}"')
        seen[key] = value
    return seen


def load_json(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f, object_pairs_hook=reject_duplicate_keys)


def version_tuple(text):
    return tuple(int(p) for p in text.split('.'))


# --- expectations derived from the project ---------------------------------

def expected_app_id(c):
    """The id the default profile builds, taken from meson.build and data/."""
    meson = c.read('meson.build')
    base_id = None
    if meson is not None:
        m = re.search(r"^\s*base_id\s*=\s*'([^']+)'", meson, re.M)
        if not m:
            c.fail("meson.build: no `base_id = '...'` found; cannot tell the app id")
        else:
            base_id = m.group(1)
            # The default profile must use the base id unchanged (the .Devel
            # suffix is for -Dprofile=development only).
            if not re.search(r'^\s*app_id\s*=\s*base_id\s*$', meson, re.M):
                c.fail('meson.build: no `app_id = base_id` branch; the default profile '
                       'would not install the id the manifest uses')

    ids = {}
    for pattern, kind in (('*.desktop.in.in', 'desktop'),
                          ('*.desktop.in', 'desktop'),
                          ('*.metainfo.xml.in.in', 'metainfo'),
                          ('*.metainfo.xml.in', 'metainfo')):
        for path in sorted((c.root / 'data').glob(pattern)):
            if kind in ids:
                continue
            ids[kind] = (path, path.name[:-len(pattern) + 1])
    for kind in ('desktop', 'metainfo'):
        if kind not in ids:
            c.fail(f'data/: no {kind} file template found')

    names = {name for _, name in ids.values()}
    if base_id is not None:
        names.add(base_id)
    if len(names) > 1:
        c.fail('app id differs between meson.build and data/ file names: '
               + ', '.join(sorted(names)))
    return base_id if base_id is not None else (names.pop() if names else None), ids


def metainfo_id(c, path, base_id):
    try:
        tree = ET.parse(path)
    except ET.ParseError as e:
        c.fail(f'{path.relative_to(c.root)}: not well-formed XML: {e}')
        return None, []
    comp = tree.getroot()
    id_el = comp.find('id')
    if id_el is None or not (id_el.text or '').strip():
        c.fail(f'{path.relative_to(c.root)}: no <id>')
        return None, []
    text = id_el.text.strip()
    if text == '@app_id@':
        # Substituted by meson from the same base_id we already know.
        text = base_id
    launch = comp.find("launchable[@type='desktop-id']")
    if launch is not None and text is not None:
        want = text + '.desktop'
        got = (launch.text or '').strip().replace('@app_id@', text)
        if got != want:
            c.fail(f'{path.relative_to(c.root)}: <launchable> is "{got}", expected "{want}"')
    binaries = [(b.text or '').strip() for b in comp.findall('provides/binary')]
    return text, binaries


def desktop_exec(c, path):
    section = None
    for line in path.read_text(encoding='utf-8').splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        if line.startswith('['):
            section = line
            continue
        if section == '[Desktop Entry]' and line.startswith('Exec='):
            argv = line[len('Exec='):].split()
            if not argv:
                break
            return pathlib.PurePosixPath(argv[0]).name
    c.fail(f'{path.relative_to(c.root)}: no Exec= in [Desktop Entry]')
    return None


def profile_choices(c):
    opts = c.read('meson_options.txt')
    if opts is None:
        return None
    m = re.search(r"option\(\s*'profile'(.*?)\)\s*$", opts, re.S | re.M)
    if not m:
        c.fail("meson_options.txt: no 'profile' option, yet the manifest passes -Dprofile=default")
        return None
    return set(re.findall(r"'([^']+)'", m.group(1)))


# --- manifest checks ---------------------------------------------------------

def check_identity(c, manifest, app_id, ids):
    mid = manifest.get('id')
    aid = manifest.get('app-id')
    if mid is not None and aid is not None and mid != aid:
        c.fail(f'manifest has both "id" ({mid}) and "app-id" ({aid}) and they differ')
    got = mid if mid is not None else aid
    if got is None:
        c.fail('manifest has no "id" (or "app-id")')
    elif app_id is not None and got != app_id:
        c.fail(f'manifest id is "{got}", but meson.build/data/ use "{app_id}"')
    else:
        c.ok(f'app id {got}')

    if 'metainfo' in ids:
        mi_id, binaries = metainfo_id(c, ids['metainfo'][0], app_id)
        if mi_id is not None and got is not None and mi_id != got:
            c.fail(f'metainfo <id> is "{mi_id}", manifest id is "{got}"')
    else:
        binaries = []

    command = manifest.get('command')
    if not command:
        c.fail('manifest has no "command"')
        return
    if 'desktop' in ids:
        exe = desktop_exec(c, ids['desktop'][0])
        if exe is not None and exe != command:
            c.fail(f'manifest command is "{command}", but the desktop file runs "{exe}"')
        elif exe is not None:
            c.ok(f'command {command} matches Exec=')
    if binaries and command not in binaries:
        c.fail(f'metainfo <provides> lists {binaries}, not the command "{command}"')


def check_runtime(c, manifest):
    runtime = manifest.get('runtime', '')
    sdk = manifest.get('sdk', '')
    branch = manifest.get('runtime-version')
    rname, _, rbranch = runtime.partition('//')
    sname, _, sbranch = sdk.partition('//')
    if rname != RUNTIME:
        c.fail(f'runtime is "{runtime}", expected {RUNTIME} (it ships WebKitGTK 6.0)')
    if sname != SDK:
        c.fail(f'sdk is "{sdk}", expected {SDK}')
    if branch is None:
        branch = rbranch or None
    if not isinstance(branch, str) or not branch:
        c.fail('no "runtime-version": the runtime branch must be pinned')
        return
    if rbranch and rbranch != branch:
        c.fail(f'runtime branch "{rbranch}" differs from runtime-version "{branch}"')
    if sbranch and sbranch != branch:
        c.fail(f'sdk branch "{sbranch}" differs from runtime branch "{branch}"')
    if not branch.isdigit():
        c.fail(f'runtime-version "{branch}" is not a stable GNOME branch (e.g. "51")')
    elif int(branch) < MIN_RUNTIME_BRANCH:
        c.fail(f'runtime-version {branch} is older than {MIN_RUNTIME_BRANCH} '
               '(end of life); pick a current stable GNOME runtime')
    else:
        c.ok(f'runtime {RUNTIME}//{branch} with {SDK}//{branch}')


def check_finish_args(c, manifest):
    before = len(c.errors)
    args = manifest.get('finish-args')
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        c.fail('"finish-args" must be a list of strings')
        return
    for req in REQUIRED_FINISH_ARGS:
        if req not in args:
            c.fail(f'finish-args lack {req}')
    for arg in args:
        if arg in FORBIDDEN_FINISH_ARGS:
            c.fail(f'finish-args must not contain {arg}: {FORBIDDEN_FINISH_ARGS[arg]}')
        elif arg.startswith('--filesystem=') and \
                arg[len('--filesystem='):].startswith(FORBIDDEN_FILESYSTEM_PREFIXES):
            c.fail(f'finish-args must not contain {arg}: the app needs no file access')
        elif arg not in ALLOWED_FINISH_ARGS:
            c.fail(f'finish-args contain {arg}, which is not justified: explain it in '
                   'flatpak/README.md and add it to ALLOWED_FINISH_ARGS in this test')
    if len(args) != len(set(args)):
        c.fail('finish-args contain duplicates')
    if len(c.errors) == before:
        c.ok('finish-args: ' + ' '.join(args))


def walk_modules(c, modules, base_dir, where, out):
    """Flatten modules (nested ones and JSON file references) in build order."""
    if not isinstance(modules, list):
        c.fail(f'{where}: "modules" must be a list')
        return
    for i, mod in enumerate(modules):
        if isinstance(mod, str):
            path = base_dir / mod
            try:
                mod = load_json(path)
            except (OSError, ValueError) as e:
                c.fail(f'{where}: module file {mod}: {e}')
                continue
            mod_dir = path.parent
        else:
            mod_dir = base_dir
        if not isinstance(mod, dict):
            c.fail(f'{where}: module #{i} is not an object')
            continue
        name = mod.get('name')
        if not name:
            c.fail(f'{where}: module #{i} has no name')
            name = f'#{i}'
        # Nested modules are built before their parent.
        walk_modules(c, mod.get('modules', []), mod_dir, f'module {name}', out)
        out.append((name, mod, mod_dir))


def check_url(c, where, url):
    if not isinstance(url, str) or not url.startswith('https://'):
        c.fail(f'{where}: url "{url}" is not https')
        return
    # The sha256 came from Debian's orig tarball, but the address must be the
    # upstream release, never a distribution mirror's pool.
    if '/pool/' in url or '.orig.tar' in url:
        c.fail(f'{where}: url "{url}" points at a distribution mirror, not the upstream release')


def check_sources(c, name, mod, mod_dir):
    sources = mod.get('sources')
    if not isinstance(sources, list) or not sources:
        c.fail(f'module {name}: no sources')
        return
    for i, src in enumerate(sources):
        where = f'module {name} source #{i}'
        if isinstance(src, str):
            c.fail(f'{where}: external source file "{src}" cannot be checked; inline it')
            continue
        kind = src.get('type')
        if kind in ('archive', 'file'):
            sha = src.get('sha256')
            if not isinstance(sha, str) or not SHA256_RE.match(sha):
                c.fail(f'{where} ({kind}): sha256 missing or not 64 lowercase hex digits')
            if 'url' in src:
                check_url(c, where, src['url'])
                for mirror in src.get('mirror-urls', []):
                    check_url(c, where + ' mirror', mirror)
            else:
                c.fail(f'{where} ({kind}): no url; pin the upstream release address')
        elif kind == 'git':
            check_url(c, where, src.get('url'))
            if not COMMIT_RE.match(str(src.get('commit', ''))):
                c.fail(f'{where} (git): needs a full 40-hex "commit"; '
                       'a branch or tag alone can move')
        elif kind == 'dir':
            path = src.get('path')
            if not path or not (mod_dir / path).is_dir():
                c.fail(f'{where} (dir): path "{path}" is not a directory next to the manifest')
        elif kind == 'patch':
            paths = src.get('paths') or ([src['path']] if 'path' in src else [])
            if 'url' in src:
                check_url(c, where, src['url'])
                if not SHA256_RE.match(str(src.get('sha256', ''))):
                    c.fail(f'{where} (patch): a downloaded patch needs a sha256')
            elif not paths:
                c.fail(f'{where} (patch): no path')
            for p in paths:
                if not (mod_dir / p).is_file():
                    c.fail(f'{where} (patch): {p} does not exist')
        elif kind in ('shell', 'script', 'inline'):
            pass
        else:
            c.fail(f'{where}: source type "{kind}" is not allowed '
                   '(use archive/file with sha256, git with commit, dir or patch)')


def check_modules(c, manifest, manifest_dir):
    mods = []
    walk_modules(c, manifest.get('modules'), manifest_dir, 'manifest', mods)
    if not mods:
        c.fail('manifest has no modules')
        return set(), None

    for name, mod, mod_dir in mods:
        check_sources(c, name, mod, mod_dir)

    # The app itself: last, built by meson in the default profile, from this tree.
    before = len(c.errors)
    name, app, app_dir = mods[-1]
    if app.get('buildsystem') != 'meson':
        c.fail(f'last module "{name}" must be the app, built with buildsystem "meson"')
    opts = app.get('config-opts', [])
    if '-Dprofile=default' not in opts:
        c.fail(f'app module "{name}" must configure -Dprofile=default (config-opts: {opts})')
    if any(o.startswith('-Dprofile=') and o != '-Dprofile=default' for o in opts):
        c.fail(f'app module "{name}" sets another profile as well: {opts}')
    choices = profile_choices(c)
    if choices is not None and 'default' not in choices:
        c.fail(f"meson_options.txt: 'profile' has no 'default' choice ({sorted(choices)})")
    srcs = [s for s in app.get('sources', []) if isinstance(s, dict)]
    from_tree = [s for s in srcs if s.get('type') == 'dir'
                 and (app_dir / s.get('path', '')).resolve() == c.root.resolve()]
    from_git = [s for s in srcs if s.get('type') == 'git']
    if not from_tree and not from_git:
        c.fail(f'app module "{name}" must build this source tree (dir source with path "..") '
               'or a pinned git commit')
    if len(c.errors) == before:
        c.ok(f'app module {name}: meson, -Dprofile=default, this source tree')

    names = [n.lower() for n, _, _ in mods]
    provided = set()
    for req in REQUIRED_MODULES:
        if req not in names:
            c.fail(f'module "{req}" is missing: the meson build links it '
                   'and the GNOME runtime does not ship it')
        elif names.index(req) == len(names) - 1:
            c.fail(f'module "{req}" must come before the app module')
    present = [r for r in REQUIRED_MODULES if r in names]
    for first, then in zip(present, present[1:]):
        if names.index(first) > names.index(then):
            c.fail(f'module "{first}" must be built before "{then}", which needs it')
    for n in names:
        provided |= MODULE_PROVIDES.get(n, frozenset())
    if all(r in names for r in REQUIRED_MODULES):
        c.ok('modules ' + ', '.join(REQUIRED_MODULES) + ' present before the app')

    cjose = next((m for n, m, _ in mods if n.lower() == 'cjose'), None)
    cjose_version = None
    if cjose is not None:
        if '--disable-static' not in cjose.get('config-opts', []):
            c.fail('module cjose: config-opts must contain --disable-static')
        for s in cjose.get('sources', []):
            if isinstance(s, dict) and s.get('type') == 'archive':
                m = re.search(r'v?(\d+(?:\.\d+)+)\.tar', str(s.get('url', '')))
                if m:
                    cjose_version = version_tuple(m.group(1))
    return provided, cjose_version


# --- the meson build's dependencies ----------------------------------------

def meson_files(root):
    for path in sorted(root.rglob('meson.build')):
        rel = path.relative_to(root)
        if any(p.startswith('_build') or p in SKIP_DIRS for p in rel.parts):
            continue
        if rel.parts[:2] == ('flatpak', '_build'):
            continue
        yield path


def call_text(text, start):
    """The argument text of a call whose '(' is at text[start]."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == '(':
            depth += 1
        elif text[i] == ')':
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
    return text[start + 1:]


def check_dependencies(c, provided):
    before = len(c.errors)
    available = RUNTIME_PROVIDES | provided
    seen = 0
    for path in meson_files(c.root):
        text = path.read_text(encoding='utf-8')
        # Drop comments so a commented-out dependency() does not count.
        text = re.sub(r'#[^\n]*', '', text)
        for m in re.finditer(r"(?<![\w.])dependency\s*(\()", text):
            args = call_text(text, m.start(1))
            name_m = re.match(r"\s*'([^']+)'", args)
            if not name_m:
                continue
            req = re.search(r'required\s*:\s*([^,)]+)', args)
            if req and req.group(1).strip() != 'true':
                continue  # optional: the build works without it
            seen += 1
            dep = name_m.group(1)
            if dep not in available:
                c.fail(f'{path.relative_to(c.root)}: dependency(\'{dep}\') is neither in the '
                       'GNOME runtime nor built by a module of the Flatpak manifest')
    if seen == 0:
        c.fail('no dependency() found in any meson.build; the scan is broken')
    elif len(c.errors) == before:
        c.ok(f'{seen} meson dependency() calls all available in the Flatpak')


def check_cjose_jwe(c, cjose_version):
    if cjose_version is None or cjose_version >= CJOSE_JWE_SAFE_VERSION:
        return
    users = []
    for sub in ('src', 'subprojects'):
        base = c.root / sub
        if not base.is_dir():
            continue
        for path in sorted(base.rglob('*.[ch]')):
            rel = path.relative_to(c.root)
            if any(p.startswith('_build') for p in rel.parts):
                continue
            try:
                if 'cjose_jwe_' in path.read_text(encoding='utf-8', errors='replace'):
                    users.append(str(rel))
            except OSError:
                continue
    ver = '.'.join(map(str, cjose_version))
    if users:
        c.fail(f'the manifest pins cjose {ver}, whose JWE code has known CVEs, but '
               f'{", ".join(users)} call the JWE API: move the cjose module to 0.6.2.5 or newer '
               '(see flatpak/README.md)')
    else:
        c.ok(f'cjose {ver}: no JWE API use, so its JWE CVEs are unreachable')


def main(argv):
    if len(argv) != 2:
        print(f'usage: {argv[0]} SOURCE_ROOT', file=sys.stderr)
        return 1
    root = pathlib.Path(argv[1])
    c = Checker(root)
    manifest_path = root / MANIFEST
    try:
        manifest = load_json(manifest_path)
    except OSError as e:
        print(f'FAIL: cannot read {MANIFEST}: {e.strerror}')
        return 1
    except ValueError as e:
        print(f'FAIL: {MANIFEST} is not valid JSON: {e}')
        return 1
    if not isinstance(manifest, dict):
        print(f'FAIL: {MANIFEST} is not a JSON object')
        return 1

    app_id, ids = expected_app_id(c)
    check_identity(c, manifest, app_id, ids)
    check_runtime(c, manifest)
    check_finish_args(c, manifest)
    provided, cjose_version = check_modules(c, manifest, manifest_path.parent)
    check_dependencies(c, provided)
    check_cjose_jwe(c, cjose_version)

    for msg in c.passed:
        print(f'ok: {msg}')
    for msg in c.errors:
        print(f'FAIL: {msg}')
    if c.errors:
        print(f'{MANIFEST}: {len(c.errors)} problem(s)')
        return 1
    print(f'{MANIFEST}: all checks passed')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
