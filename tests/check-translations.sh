#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Keeps every translation in po/LINGUAS complete: the strings in the sources
# today (not only those in the .po file) must all be translated, none fuzzy.
set -eu
top=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

cd "$top"

# Every file with a translatable string is listed in POTFILES.in.
grep -v '^#' po/POTFILES.in | sed '/^$/d' | sort > "$tmp/listed"
{
  grep -rlE '(^|[^A-Za-z0-9_])(_|N_|C_|NC_|ngettext)[[:space:]]*\(' src --include='*.c' || true
  grep -rl 'translatable="yes"' src --include='*.ui' || true
  ls data/*.desktop.in.in data/*.metainfo.xml.in.in data/*.gschema.xml.in
} | sort -u > "$tmp/needed"
missing=$(comm -13 "$tmp/listed" "$tmp/needed")
if [ -n "$missing" ]; then
  echo "Files with translatable strings missing from po/POTFILES.in:" >&2
  echo "$missing" >&2
  failed=1
fi

xgettext --package-name=smart-viewer --from-code=UTF-8 --add-comments \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_set_error:4:c-format --flag=g_strdup_printf:1:c-format \
  --flag=g_printerr:1:c-format --flag=g_print:1:c-format \
  -o "$tmp/smart-viewer.pot" -f "$tmp/listed"

total=$(grep -c '^msgid ' "$tmp/smart-viewer.pot")
echo "$total messages in the sources"
[ "$total" -gt 10 ] || { echo "too few messages extracted: $total" >&2; failed=1; }

for lang in $(grep -v '^#' po/LINGUAS); do
  msgfmt --check -o /dev/null "po/$lang.po" || { echo "$lang.po does not compile" >&2; failed=1; continue; }
  msgmerge --quiet --no-fuzzy-matching -o "$tmp/$lang.po" "po/$lang.po" "$tmp/smart-viewer.pot"
  stats=$(msgfmt --check --statistics -o /dev/null "$tmp/$lang.po" 2>&1)
  echo "$lang: $stats"
  case "$stats" in
    *untranslated*|*fuzzy*)
      echo "$lang is incomplete; run 'ninja -C _build smart-viewer-update-po' and translate:" >&2
      msgattrib --untranslated --only-fuzzy "$tmp/$lang.po" >&2 || true
      msgattrib --untranslated "$tmp/$lang.po" | grep '^msgid' >&2 || true
      failed=1 ;;
  esac
done

exit $failed
