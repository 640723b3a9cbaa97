"""Which environment variables each function's code reads.

Every variable is read through the runtime's config helper, as
`env.required("NAME")`, `env.secret("NAME")`, `env.optional("NAME")`,
`env.parse_or("NAME", d)`, `env.string_or("NAME", "d")`, `env.flag("NAME", d)`
or `env.secret_optional("NAME")`. The common reads live in
`functions/runtime/src/` and apply to every function, except the modules
`lib.rs` compiles only with a cargo feature (`#[cfg(feature = "mongo")] pub
mod mongo;`), which apply to the functions whose Cargo.toml enables that
feature of examfn-runtime; a function's own reads are in `functions/<fn>/src/`. Comments and `#[cfg(test)] mod … { … }` blocks are
ignored, so examples in doc comments and test fixtures do not count.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re

CALL = re.compile(
    r"\benv\s*\.\s*(required|optional|parse_or|string_or|flag|secret|secret_optional)"
    r"\(\s*\"([A-Z][A-Z0-9_]*)\""
)
CFG_TEST = re.compile(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{")

REQUIRED_KINDS = {"required", "secret"}
CREDENTIAL_KINDS = {"secret", "secret_optional"}


@dataclasses.dataclass
class Read:
    name: str
    kinds: set[str]
    where: list[str]  # "path:line"

    @property
    def required(self) -> bool:
        return bool(self.kinds & REQUIRED_KINDS)

    @property
    def credential(self) -> bool:
        return bool(self.kinds & CREDENTIAL_KINDS)


def _mask(src: str) -> tuple[str, str]:
    """Return (code, mask): code has comments blanked; mask also has string
    contents blanked. Both keep every offset and newline of the source."""
    code, mask = list(src), list(src)
    i, n = 0, len(src)

    def blank(a: int, b: int, also_code: bool) -> None:
        for k in range(a, b):
            if src[k] != "\n":
                mask[k] = " "
                if also_code:
                    code[k] = " "

    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            blank(i, j, True)
            i = j
        elif src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            blank(i, j, True)
            i = j
        elif c == "r" and re.match(r'r(#*)"', src[i:i + 10]) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            hashes = re.match(r'r(#*)"', src[i:]).group(1)
            start = i + 2 + len(hashes)
            end = src.find('"' + hashes, start)
            end = n if end < 0 else end
            blank(start, end, False)
            i = end + 1 + len(hashes)
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            blank(i + 1, min(j, n), False)
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", src[i:i + 4]):
            # a char literal such as '"' or '{' (lifetimes have no closing quote)
            m = re.match(r"'(\\.|[^\\'])'", src[i:i + 4])
            blank(i + 1, i + m.end() - 1, False)
            i += m.end()
        else:
            i += 1
    return "".join(code), "".join(mask)


def strip_rust(src: str) -> str:
    """The source with comments and `#[cfg(test)] mod` blocks blanked."""
    code, mask = _mask(src)
    code_l = list(code)
    for m in CFG_TEST.finditer(mask):
        depth, j = 1, m.end()
        while j < len(mask) and depth:
            if mask[j] == "{":
                depth += 1
            elif mask[j] == "}":
                depth -= 1
            j += 1
        for k in range(m.start(), j):
            if code_l[k] != "\n":
                code_l[k] = " "
    return "".join(code_l)


def scan_dir(root: pathlib.Path, rel_to: pathlib.Path | None = None) -> dict[str, Read]:
    reads: dict[str, Read] = {}
    if not root.is_dir():
        return reads
    for path in sorted(root.rglob("*.rs")):
        reads = merge(reads, _scan_file(path, rel_to or path.parent))
    return reads


def merge(*maps: dict[str, Read]) -> dict[str, Read]:
    out: dict[str, Read] = {}
    for m in maps:
        for name, r in m.items():
            o = out.setdefault(name, Read(name, set(), []))
            o.kinds |= r.kinds
            o.where += r.where
    return out


@dataclasses.dataclass
class FunctionReads:
    function: str
    reads: dict[str, Read]
    own_reads: int  # reads found in functions/<fn>/src itself
    common_reads: int
    features: set[str] = dataclasses.field(default_factory=set)


GATED_MOD = re.compile(r"#\[cfg\(feature\s*=\s*\"([A-Za-z0-9_-]+)\"\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;")


def gated_modules(runtime_src: pathlib.Path) -> dict[str, str]:
    """Runtime modules compiled only with a cargo feature: module -> feature."""
    lib = runtime_src / "lib.rs"
    if not lib.exists():
        return {}
    text = strip_rust(lib.read_text(encoding="utf-8", errors="replace"))
    return {m.group(2): m.group(1) for m in GATED_MOD.finditer(text)}


def runtime_features(functions_dir: pathlib.Path, function: str) -> set[str]:
    """Features of examfn-runtime the function's crate enables (its own
    dependency entry plus the workspace's)."""
    import tomllib

    feats: set[str] = set()
    manifests = [functions_dir / function / "Cargo.toml", functions_dir.parent / "Cargo.toml"]
    for i, path in enumerate(manifests):
        if not path.exists():
            continue
        try:
            doc = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError:
            continue
        deps = doc.get("dependencies", {}) if i == 0 else doc.get("workspace", {}).get("dependencies", {})
        dep = deps.get("examfn-runtime")
        if isinstance(dep, dict):
            feats |= set(dep.get("features", []))
    return feats


def function_reads(functions_dir: pathlib.Path, function: str) -> FunctionReads:
    """What `function` reads: the runtime's always-compiled modules, the
    runtime modules behind a feature the function enables (`mongo`, `s3`;
    never `testing`), and the function's own sources."""
    base = functions_dir.parent
    rsrc = functions_dir / "runtime" / "src"
    gated = gated_modules(rsrc)
    feats = runtime_features(functions_dir, function)
    common: dict[str, Read] = {}
    if rsrc.is_dir():
        for path in sorted(rsrc.rglob("*.rs")):
            top = path.relative_to(rsrc).parts[0].removesuffix(".rs")
            feature = gated.get(top)
            if feature is not None and feature not in feats:
                continue
            common = merge(common, _scan_file(path, base))
    own = scan_dir(functions_dir / function / "src", base)
    return FunctionReads(function, merge(common, own), len(own), len(common), feats)


def _scan_file(path: pathlib.Path, rel_to: pathlib.Path) -> dict[str, Read]:
    reads: dict[str, Read] = {}
    src = path.read_text(encoding="utf-8", errors="replace")
    text = strip_rust(src)
    _, mask = _mask(src)
    shown = path.relative_to(rel_to)
    for m in CALL.finditer(text):
        if mask[m.start()] == " ":
            continue  # inside a string literal
        kind, name = m.group(1), m.group(2)
        line = text.count("\n", 0, m.start()) + 1
        r = reads.setdefault(name, Read(name, set(), []))
        r.kinds.add(kind)
        r.where.append(f"{shown}:{line} env.{kind}")
    return reads
