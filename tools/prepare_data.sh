#!/usr/bin/env bash
# Prepares the text corpora under corpora/ from Debian packages (issue 5):
#   corpora/bible/     Reina-Valera 1909 → World English Bible verse pairs + Strong's alignment,
#                      and the KJV one verse per line (tools/corpora/bible.py)
#   corpora/fortunes/  fortune-file classification (tools/corpora/fortunes.py)
# Installs only the missing Debian packages (diatheke, sword-text-*, fortunes, python3).
# Each corpus is written to a temporary directory next to it and renamed into place, so an
# interrupted run leaves the old output or none. A corpus is up to date when its .stamp matches
# (hash of this script and its parser, and the package versions); then nothing is done.
set -euo pipefail

usage="usage: tools/prepare_data.sh bible|fortunes|all"
if [ $# -ne 1 ]; then
  echo "prepare_data: expected one argument; $usage" >&2
  exit 2
fi
case "$1" in
  bible) corpora=(bible) ;;
  fortunes) corpora=(fortunes) ;;
  all) corpora=(bible fortunes) ;;
  -h|--help) echo "$usage"; exit 0 ;;
  *) echo "prepare_data: unknown corpus '$1'; $usage" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out_root="$root/corpora"
fortune_dir=/usr/share/games/fortunes
declare -A packages=(
  [bible]="diatheke sword-text-sparv sword-text-web sword-text-kjv python3"
  [fortunes]="fortunes python3"
)
declare -A parser=(
  [bible]="$root/tools/corpora/bible.py"
  [fortunes]="$root/tools/corpora/fortunes.py"
)

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

install_missing() {
  local missing=() p
  for p in "$@"; do installed "$p" || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  echo "prepare_data: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

versions() {  # "pkg version, pkg version" (or "pkg missing")
  local p sep=""
  for p in "$@"; do
    printf '%s%s %s' "$sep" "$p" "$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo missing)"
    sep=", "
  done
  echo
}

stamp_of() {  # what the output of corpus $1 depends on
  local name=$1
  {
    echo "$name"
    sha256sum "${BASH_SOURCE[0]}" "${parser[$name]}" | awk '{print $1}'
    # shellcheck disable=SC2086
    versions ${packages[$name]}
  } | sha256sum | awk '{print $1}'
}

run_bible() {  # $1: directory to write into
  local out=$1 raw t
  raw=$(dirname "$out")/raw
  mkdir -p "$raw"
  local -A module=([source]=spaRV1909eb [target]=engWEB2015eb [kjv]=engKJV2006eb)
  local role
  for role in source target kjv; do
    t=$(now)
    diatheke -b "${module[$role]}" -k "Genesis 1:1 - Revelation 22:21" > "$raw/$role.txt"
    if [ "$(tail -n 1 "$raw/$role.txt")" != "(${module[$role]})" ]; then
      echo "prepare_data: diatheke output of ${module[$role]} is incomplete" >&2
      return 1
    fi
    echo "prepare_data: diatheke ${module[$role]}:" \
      "$(wc -l < "$raw/$role.txt") lines ($(elapsed "$t"))"
  done
  t=$(now)
  # shellcheck disable=SC2086
  python3 "${parser[bible]}" --source "$raw/source.txt" --target "$raw/target.txt" \
    --kjv "$raw/kjv.txt" --out "$out" \
    --provenance "Debian packages: $(versions ${packages[bible]})."
  echo "prepare_data: bible.py ($(elapsed "$t"))"
  rm -rf "$raw"
}

run_fortunes() {
  local out=$1 t
  t=$(now)
  python3 "${parser[fortunes]}" --dir "$fortune_dir" --out "$out" \
    --provenance "Debian package: $(versions fortunes)."
  echo "prepare_data: fortunes.py ($(elapsed "$t"))"
}

mkdir -p "$out_root"
exec 9> "$out_root/.prepare_data.lock"
if ! flock -n 9; then
  echo "prepare_data: another run holds $out_root/.prepare_data.lock" >&2
  exit 1
fi

tmp=""
cleanup() { if [ -n "$tmp" ]; then rm -rf "$tmp"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

for name in "${corpora[@]}"; do
  dest="$out_root/$name"
  # leftovers of an interrupted run (we hold the lock, so no other run owns them)
  rm -rf "$out_root/.$name.tmp."*
  stamp=$(stamp_of "$name")
  if [ -f "$dest/.stamp" ] && [ "$(cat "$dest/.stamp")" = "$stamp" ]; then
    echo "prepare_data: corpora/$name is up to date"
    continue
  fi
  start=$(now)
  # shellcheck disable=SC2086
  install_missing ${packages[$name]}
  stamp=$(stamp_of "$name")  # versions of what was just installed
  tmp=$(mktemp -d "$out_root/.$name.tmp.XXXXXX")
  "run_$name" "$tmp/new"
  echo "$stamp" > "$tmp/new/.stamp"
  if [ -e "$dest" ]; then mv "$dest" "$tmp/old"; fi
  mv "$tmp/new" "$dest"
  rm -rf "$tmp"
  tmp=""
  echo "prepare_data: wrote corpora/$name in $(elapsed "$start"):"
  (cd "$dest" && for f in *; do printf '  %-12s %8d lines\n' "$f" "$(wc -l < "$f")"; done)
done
