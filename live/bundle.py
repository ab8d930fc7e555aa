"""One script file for a page's whole module graph, built in Python at start (no Node).

On a slow link every request costs a round trip, and a browser asks one host for at most six
files at a time: the phone's nine modules took two to three rounds even when all were preloaded.
``bundle`` joins a page's entry modules and everything they import into one ES module, each
source module in a function scope of its own, evaluated once and in the order the browser would
(depth first, imports before importers), so one file is one module instance as before.

It understands exactly the module syntax live/static/js uses: ``import { a, b as c } from
'./x.js'``, ``import * as ns from …``, ``import './x.js'``, and ``export`` before a ``function``,
``async function``, ``class``, ``const``, ``let`` or ``var`` declaration, or ``export { a, b as
c }``. Anything else (a default export, ``import()``, ``import.meta``, a re-export) raises
``Unbundlable``, and the page then loads its modules one by one with ``modulepreload``
(live/assets.py). It must not change what a module does, only where it lives.
"""

from __future__ import annotations

import posixpath
import re

IMPORT = re.compile(
    r"""^[ \t]*import\s*(?:(?P<names>\{[^}]*\})|\*\s*as\s+(?P<ns>[\w$]+))?\s*(?:from\s*)?"""
    r"""(?P<q>['"])(?P<spec>\.{1,2}/[^'"]+)(?P=q)[ \t]*;?""",
    re.M,
)
DECLARED = re.compile(r"^export\s+(?:async\s+function\*?|function\*?|class|const|let|var)\s+([\w$]+)", re.M)
EXPORT_LIST = re.compile(r"^export\s*\{([^}]*)\}[ \t]*;?", re.M)
EXPORT_WORD = re.compile(r"^export\s+(?=(?:async\s+function|function|class|const|let|var)\b)", re.M)
UNSUPPORTED = re.compile(
    r"\bimport\s*\(|\bimport\.meta\b|^export\s+(?:default\b|\*)|^export\s*\{[^}]*\}\s*from", re.M
)


class Unbundlable(ValueError):
    """A module uses syntax this bundler does not handle; the page loads modules one by one."""


def _resolve(importer: str, spec: str) -> str:
    return posixpath.normpath(posixpath.join(posixpath.dirname(importer), spec))


def _pairs(names: str) -> list[tuple[str, str]]:
    """``{ a, b as c }`` as [(a, a), (b, c)]: (name in the module, local name)."""
    pairs = []
    for part in names.strip().strip("{}").split(","):
        words = part.split()
        if not words:
            continue
        if len(words) == 1:
            pairs.append((words[0], words[0]))
        elif len(words) == 3 and words[1] == "as":
            pairs.append((words[0], words[2]))
        else:
            raise Unbundlable(f"cannot read {part!r}")
    return pairs


def _order(sources: dict[str, str], entries: tuple[str, ...]) -> list[str]:
    """Depth first, imports before importers: the order a browser evaluates the graph."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(path: str) -> None:
        if path in order:
            return
        if path in visiting or path not in sources:
            raise Unbundlable(f"{path}: an import cycle or a missing file")
        visiting.add(path)
        for match in IMPORT.finditer(sources[path]):
            visit(_resolve(path, match["spec"]))
        visiting.discard(path)
        order.append(path)

    for entry in entries:
        visit(entry)
    return order


def bundle(sources: dict[str, str], entries: tuple[str, ...]) -> tuple[str, list[str]]:
    """One ES module running ``entries`` (static paths, e.g. ``js/phone.js``) with all they import,
    and the static paths it holds; ``sources`` maps static paths to the text of each script."""
    order = _order(sources, entries)
    names = {path: f"__module{i}" for i, path in enumerate(order)}
    parts = [f"// Built by live/bundle.py from {', '.join(entries)}: the sources are in live/static.\n"]
    for path in order:
        text = sources[path]
        if UNSUPPORTED.search(text):
            raise Unbundlable(f"{path} uses syntax the bundler does not handle")

        def local(match: re.Match, path=path) -> str:
            target = names[_resolve(path, match["spec"])]
            if match["ns"]:
                return f"const {match['ns']} = {target};"
            if match["names"]:
                fields = ", ".join(
                    n if n == alias else f"{n}: {alias}" for n, alias in _pairs(match["names"])
                )
                return f"const {{ {fields} }} = {target};"
            return ""  # `import './x.js'`: already evaluated above

        exported = DECLARED.findall(text)
        for listed in EXPORT_LIST.findall(text):
            exported += [f"{alias}: {name}" if name != alias else name for name, alias in _pairs(listed)]
        body = IMPORT.sub(local, text)
        body = EXPORT_LIST.sub("", EXPORT_WORD.sub("", body))
        if re.search(r"^\s*(?:import|export)\b", body, re.M):
            raise Unbundlable(f"{path}: an import or export this bundler did not read")
        head = "" if path in entries and not exported else f"const {names[path]} = "
        tail = f"return {{ {', '.join(exported)} }};\n" if exported else ""
        parts.append(f"{head}(() => {{\n// {path}\n{body.rstrip()}\n{tail}}})();\n")
    return "".join(parts), order
