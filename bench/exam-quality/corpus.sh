#!/usr/bin/env bash
# Installs the exam-quality corpus (openly licensed lecture-like PDFs) into
#   ${EXAMFN_CACHE:-$HOME/.cache/examfn}/corpus-v1/<id>.pdf
# from Debian packages, as listed in corpus.tsv beside this script.
#
# Nothing is installed on the system: each package is fetched with
# `apt-get download` and only the listed PDF is taken out of the .deb.
# Every PDF is pinned by sha256. apt is asked for the exact version in
# corpus.tsv; when the archive no longer serves that version the current
# one is fetched instead, and the PDF must still match its sha256, or the
# script fails and says so (then corpus.tsv, and the corpus version
# corpus-v1, must be bumped on purpose).
#
# Needs: a Debian 12 (bookworm) apt source, apt-get, dpkg-deb, tar,
# sha256sum. Root only if the apt lists must be refreshed (apt-get update).
# Downloads about 1.2 GB of .debs (the TeX Live doc packages are big:
# texlive-latex-extra-doc alone is 0.6 GB) into a temporary directory that is
# removed at the end; from an empty cache it took about 3 min on 2 cores.
# Only Debian packages (registry "apt") are handled; a row of another
# registry stops the script with a message before anything is fetched.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tsv="$here/corpus.tsv"
dest="${EXAMFN_CACHE:-$HOME/.cache/examfn}/corpus-v1"
mkdir -p "$dest"

die() { echo "corpus.sh: ERROR: $*" >&2; exit 1; }
for tool in apt-get dpkg-deb tar sha256sum; do
  command -v "$tool" >/dev/null || die "needs $tool"
done
[ -f "$tsv" ] || die "missing $tsv"

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# Rows still to install, and the packages they need.
declare -a todo=()
declare -A pkgver=()
n_total=0
while IFS=$'\t' read -r id kind registry pkg ver path lic pages sha title; do
  [ "$id" = id ] && continue            # header
  [ -n "$id" ] || continue
  n_total=$((n_total + 1))
  [ "$registry" = apt ] || die "$id: registry '$registry' is not handled"
  if [ -f "$dest/$id.pdf" ] && [ "$(sha_of "$dest/$id.pdf")" = "$sha" ]; then
    continue
  fi
  todo+=("$id")
  pkgver[$pkg]="$ver"
done < "$tsv"

if [ "${#todo[@]}" -eq 0 ]; then
  echo "corpus.sh: all $n_total documents already in $dest"
  exit 0
fi
echo "corpus.sh: ${#todo[@]} of $n_total documents to install into $dest"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
# apt-get download as root drops to the _apt user; let it write here.
if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$work"; fi

updated=no
apt_update_once() {
  [ "$updated" = yes ] && return 1
  updated=yes
  [ "$(id -u)" = 0 ] || die "apt lists need refreshing (apt-get update) and that needs root"
  echo "corpus.sh: running apt-get update"
  apt-get update -qq >&2 || die "apt-get update failed"
}

# Fetch one package: the pinned version if served, else the current one.
declare -A debfile=()
fetch() {
  local pkg="$1" ver="$2" f
  (
    cd "$work"
    if apt-get download -qq "$pkg=$ver" 2>/dev/null; then exit 0; fi
    exit 1
  ) || {
    if apt_update_once && (cd "$work" && apt-get download -qq "$pkg=$ver" 2>/dev/null); then
      :
    else
      echo "corpus.sh: WARNING: apt does not serve $pkg=$ver; using its current version (the PDF must still match its sha256)" >&2
      (cd "$work" && apt-get download -qq "$pkg") || die "apt-get download $pkg failed"
    fi
  }
  f="$(ls "$work"/"${pkg}"_*.deb 2>/dev/null | head -n1)"
  [ -n "$f" ] || die "no .deb for $pkg after download"
  debfile[$pkg]="$f"
  echo "corpus.sh: fetched $(basename "$f")"
}

for pkg in "${!pkgver[@]}"; do
  fetch "$pkg" "${pkgver[$pkg]}"
done

failed=0
while IFS=$'\t' read -r id kind registry pkg ver path lic pages sha title; do
  [ "$id" = id ] && continue
  [ -n "$id" ] || continue
  [ -n "${debfile[$pkg]:-}" ] || continue   # already installed
  case " ${todo[*]} " in *" $id "*) ;; *) continue ;; esac
  deb="${debfile[$pkg]}"
  got_ver="$(dpkg-deb -f "$deb" Version)"
  ex="$work/x-$id"
  mkdir -p "$ex"
  if ! dpkg-deb --fsys-tarfile "$deb" | tar -xf - -C "$ex" ".$path" 2>/dev/null; then
    echo "corpus.sh: ERROR: $id: $path is not in $pkg $got_ver" >&2
    failed=$((failed + 1)); continue
  fi
  f="$ex$path"
  if [ -L "$f" ] || [ ! -f "$f" ]; then
    echo "corpus.sh: ERROR: $id: $path in $pkg $got_ver is not a regular file" >&2
    failed=$((failed + 1)); continue
  fi
  got_sha="$(sha_of "$f")"
  if [ "$got_sha" != "$sha" ]; then
    cat >&2 <<EOF
corpus.sh: ERROR: $id: sha256 mismatch.
  package $pkg: pinned $ver, got $got_ver
  file    $path
  want    $sha
  got     $got_sha
  The archive now serves a different file. Do not edit the hash to make this
  pass: check the new PDF (text, pages, licence), then update corpus.tsv and
  bump the corpus version (corpus-v1 -> corpus-v2) so old results stay comparable.
EOF
    failed=$((failed + 1)); continue
  fi
  cp "$f" "$dest/$id.pdf.tmp"
  mv "$dest/$id.pdf.tmp" "$dest/$id.pdf"
  rm -rf "$ex"
  echo "corpus.sh: installed $id.pdf ($kind, $pages pages, from $pkg $got_ver)"
done < "$tsv"

[ "$failed" -eq 0 ] || die "$failed document(s) could not be installed (see above)"
echo "corpus.sh: done: $n_total documents in $dest"
