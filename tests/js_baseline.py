"""A small JavaScript scanner for the phone-side baseline (docs/accessibility.md, "Old phones").

It tokenizes like a browser does (comments, strings, template literals with their `${…}` parts,
regular expressions versus division), so a `?.` inside a string or a comment is never reported,
and then looks for syntax and APIs that Safari 12.1 (iOS 12.5), Chrome 70, Firefox 68 or Samsung
Internet 10 do not have. Each finding names the line and what to use instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Syntax newer than the baseline (the first browser version that has it, from MDN's data).
OPERATORS = {
    "?.": "optional chaining (Safari 13.1, Chrome 80): test with && or a plain if",
    "??": "nullish coalescing (Safari 13.1, Chrome 80): write the test out",
    "??=": "logical assignment (Safari 14, Chrome 85)",
    "||=": "logical assignment (Safari 14, Chrome 85)",
    "&&=": "logical assignment (Safari 14, Chrome 85)",
}

# Methods and properties reached with a dot: `.name` (the object does not matter).
MEMBERS = {
    "at": "Array/String.prototype.at (Safari 15.4, Chrome 92): use [length - 1]",
    "replaceChildren": "Element.replaceChildren (Safari 14, Chrome 86): use replaceChildren() from live.js",
    "replaceAll": "String.prototype.replaceAll (Safari 13.1, Chrome 85): use split/join or a /g regex",
    "matchAll": "String.prototype.matchAll (Safari 13, Chrome 73)",
    "randomUUID": "crypto.randomUUID (Safari 15.4, Chrome 92): use newId() from live.js",
    "hasOwn": "Object.hasOwn (Safari 15.4, Chrome 93)",
    "fromEntries": "Object.fromEntries (Safari 12.1, Chrome 73)",
    "allSettled": "Promise.allSettled (Safari 13, Chrome 76)",
    "findLast": "Array.prototype.findLast (Safari 15.4, Chrome 97)",
    "findLastIndex": "Array.prototype.findLastIndex (Safari 15.4, Chrome 97)",
    "toSorted": "Array.prototype.toSorted (Safari 16, Chrome 110)",
    "toReversed": "Array.prototype.toReversed (Safari 16, Chrome 110)",
    "toSpliced": "Array.prototype.toSpliced (Safari 16, Chrome 110)",
    "checkVisibility": "Element.checkVisibility (Safari 17.4, Chrome 105): use isShown() from live.js",
    "requestSubmit": "HTMLFormElement.requestSubmit (Safari 16, Chrome 76): use requestSubmit() from live.js",
    "showModal": "HTMLDialogElement.showModal (Safari 15.4)",
    "PluralRules": "Intl.PluralRules (Safari 13): use countWords()/pluralWords() from counts.js",
    "ListFormat": "Intl.ListFormat (Safari 14.1, Chrome 72)",
    "RelativeTimeFormat": "Intl.RelativeTimeFormat (Safari 14, Chrome 71)",
    "Segmenter": "Intl.Segmenter (Safari 14.1, Chrome 87, Firefox 125)",
    "DisplayNames": "Intl.DisplayNames (Safari 14.1, Chrome 81)",
    "timeout": None,  # only as AbortSignal.timeout, see QUALIFIED
    "any": None,  # only as Promise.any
}
QUALIFIED = {
    ("AbortSignal", "timeout"): "AbortSignal.timeout (Safari 16, Chrome 103)",
    ("Promise", "any"): "Promise.any (Safari 14, Chrome 85)",
}

# Names used on their own.
GLOBALS = {
    "structuredClone": "structuredClone (Safari 15.4, Chrome 98)",
    "globalThis": "globalThis (Safari 12.1, Chrome 71): use window",
    "queueMicrotask": "queueMicrotask (Safari 12.1, Chrome 71): use Promise.resolve().then",
    "ResizeObserver": "ResizeObserver (Safari 13.1, Chrome 64)",
    "WeakRef": "WeakRef (Safari 14.1, Chrome 84)",
    "FinalizationRegistry": "FinalizationRegistry (Safari 14.1, Chrome 84)",
    "AggregateError": "AggregateError (Safari 14, Chrome 85)",
    "BigInt": "BigInt (Safari 14, Chrome 67)",
}

REGEX_SYNTAX = [
    (re.compile(r"\(\?<[=!]"), "regex lookbehind (Safari 16.4)"),
    (re.compile(r"\(\?<[A-Za-z_$]"), "regex named group (Firefox 78)"),
    (re.compile(r"\\k<"), "regex named back-reference (Firefox 78)"),
    (re.compile(r"\\[pP]\{"), "regex Unicode property escape (Firefox 78)"),
]
REGEX_FLAGS = {
    "s": "regex flag s, dotAll (Firefox 78)",
    "d": "regex flag d (Safari 15, Chrome 90)",
    "v": "regex flag v (Safari 17, Chrome 112)",
}

PUNCTUATORS = sorted(
    """>>>= ... === !== **= <<= >>= >>> ??= ||= &&= => == != <= >= && || ?? ?.
    ++ -- += -= *= /= %= &= |= ^= ** << >> { } ( ) [ ] ; , < > + - * / % & | ^ ! ~ ? : = . @ #""".split(),
    key=len,
    reverse=True,
)
# After these a `/` starts a regular expression; after anything else it divides.
REGEX_AFTER_WORDS = {
    "return",
    "typeof",
    "instanceof",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "case",
    "do",
    "else",
    "yield",
    "await",
}
IDENT = re.compile(r"[A-Za-z_$\u00c0-\uffff][\w$\u00c0-\uffff]*")
NUMBER = re.compile(
    r"0[xX][\da-fA-F_]+n?|0[oO][0-7_]+n?|0[bB][01_]+n?|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?n?"
)


@dataclass
class Token:
    kind: str  # ident, punct, number, string, template, regex
    text: str
    line: int


@dataclass
class Finding:
    line: int
    what: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.what}"


class ScanError(ValueError):
    """The text could not be tokenized (an unclosed string, comment or template)."""


def tokenize(source: str) -> list[Token]:
    """The tokens of a script or module; strings, templates and regexes become one token each."""
    tokens: list[Token] = []
    i, line, n = 0, 1, len(source)
    braces: list[str] = []  # "{" for a block, "${" for a template substitution

    def significant() -> Token | None:
        return tokens[-1] if tokens else None

    def regex_allowed() -> bool:
        prev = significant()
        if prev is None:
            return True
        if prev.kind in ("number", "string", "template", "regex"):
            return False
        if prev.kind == "ident":
            return prev.text in REGEX_AFTER_WORDS
        return prev.text not in (")", "]", "}")

    def template_part(start: int) -> int:
        """Read a template's text from `start` (after ` or }) up to ` or ${; the index after that."""
        nonlocal line
        j = start
        while j < n:
            c = source[j]
            if c == "\\":
                j += 2
                continue
            if c == "\n":
                line += 1
            if c == "`":
                return j + 1
            if c == "$" and source.startswith("${", j):
                braces.append("${")
                return j + 2
            j += 1
        raise ScanError(f"line {line}: template literal not closed")

    while i < n:
        c = source[i]
        if c == "\n":
            line += 1
            i += 1
        elif c in " \t\r\f\v\ufeff\u00a0\u2028\u2029":
            i += 1
        elif source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            if end < 0:
                raise ScanError(f"line {line}: comment not closed")
            line += source.count("\n", i, end)
            i = end + 2
        elif c in "'\"":
            j = i + 1
            while j < n and source[j] != c:
                if source[j] == "\n":
                    raise ScanError(f"line {line}: string not closed")
                j += 2 if source[j] == "\\" else 1
            if j >= n:
                raise ScanError(f"line {line}: string not closed")
            tokens.append(Token("string", source[i : j + 1], line))
            i = j + 1
        elif c == "`":
            start_line = line
            i = template_part(i + 1)
            tokens.append(Token("template", "`", start_line))
        elif c == "}" and braces and braces[-1] == "${":
            braces.pop()
            start_line = line
            i = template_part(i + 1)
            tokens.append(Token("template", "}`", start_line))
        elif c == "/" and regex_allowed():
            j, in_class = i + 1, False
            while j < n:
                ch = source[j]
                if ch == "\\":
                    j += 2
                    continue
                if ch == "\n":
                    raise ScanError(f"line {line}: regular expression not closed")
                if ch == "[":
                    in_class = True
                elif ch == "]":
                    in_class = False
                elif ch == "/" and not in_class:
                    break
                j += 1
            flags = IDENT.match(source, j + 1)
            end = flags.end() if flags else j + 1
            tokens.append(Token("regex", source[i:end], line))
            i = end
        elif c.isdigit() or (c == "." and i + 1 < n and source[i + 1].isdigit()):
            m = NUMBER.match(source, i)
            tokens.append(Token("number", m.group(), line))
            i = m.end()
        elif IDENT.match(source, i):
            m = IDENT.match(source, i)
            tokens.append(Token("ident", m.group(), line))
            i = m.end()
        elif c == "\\" and source.startswith("\\u", i):
            m = re.compile(r"(?:\\u\{?[\da-fA-F]+\}?|[\w$])+").match(source, i)
            tokens.append(Token("ident", m.group(), line))
            i = m.end()
        else:
            for p in PUNCTUATORS:
                if source.startswith(p, i):
                    # `a ?.5 : b` is a conditional with a number, not optional chaining.
                    if p == "?." and i + 2 < n and source[i + 2].isdigit():
                        p = "?"
                    break
            else:
                raise ScanError(f"line {line}: unexpected character {c!r}")
            if p == "{":
                braces.append("{")
            elif p == "}" and braces:
                braces.pop()
            tokens.append(Token("punct", p, line))
            i += len(p)
    if braces:
        raise ScanError("a { or ${ is not closed")
    return tokens


def _class_fields(tokens: list[Token]) -> list[Finding]:
    """Fields and static blocks in a class body (Safari 14 / 16.4, Chrome 72 / 94)."""
    found = []
    depth = 0
    bodies: list[int] = []  # brace depths that are class bodies
    pending_class = False
    member_start = False
    for k, tok in enumerate(tokens):
        prev = tokens[k - 1] if k else None
        if tok.kind == "ident" and tok.text == "class" and not (prev and prev.text == "."):
            pending_class = True
        if tok.kind == "punct" and tok.text == "{":
            depth += 1
            if pending_class:
                bodies.append(depth)
                pending_class = False
                member_start = True
                continue
        elif tok.kind == "punct" and tok.text == "}":
            if bodies and bodies[-1] == depth:
                bodies.pop()
            depth -= 1
            member_start = bool(bodies) and bodies[-1] == depth
            continue
        if not bodies or bodies[-1] != depth:
            continue
        if tok.kind == "punct" and tok.text == ";":
            member_start = True
            continue
        if member_start:
            nxt = tokens[k + 1] if k + 1 < len(tokens) else None
            if tok.text == "static" and nxt and nxt.text == "{":
                found.append(Finding(tok.line, "class static block (Safari 16.4, Chrome 94)"))
            elif tok.text == "static" and nxt and nxt.kind == "ident":
                member_start = True
                continue
            elif tok.kind in ("ident", "string") and nxt and nxt.text in ("=", ";", "}"):
                found.append(
                    Finding(tok.line, "class field (Safari 14, Chrome 72): set it in the constructor")
                )
        member_start = False
    return found


def _await_outside_async(tokens: list[Token]) -> list[Finding]:
    """`await` outside an async function: top-level await (Safari 15, Chrome 89)."""
    found = []
    stack: list[bool] = []  # per open brace: is it an async function's body
    async_at: int | None = None  # paren depth where `async` was seen
    parens = 0
    for tok in tokens:
        if tok.kind == "ident" and tok.text == "async":
            async_at = parens
        elif tok.kind == "punct" and tok.text in "([":
            parens += 1
        elif tok.kind == "punct" and tok.text in ")]":
            parens -= 1
        elif tok.kind == "punct" and tok.text == "{":
            is_async = async_at is not None and parens == async_at
            stack.append(is_async)
            if is_async:
                async_at = None
        elif tok.kind == "punct" and tok.text == "}":
            if stack:
                stack.pop()
        elif tok.kind == "ident" and tok.text == "await" and not any(stack) and async_at is None:
            found.append(Finding(tok.line, "top-level await (Safari 15, Chrome 89)"))
    return found


def _feature_tested(tokens: list[Token]) -> set[str]:
    """Names the file tests before it uses them: `typeof a.b.name` or `'name' in a`."""
    tested = set()
    for k, tok in enumerate(tokens):
        if tok.kind == "ident" and tok.text == "typeof":
            j = k + 1
            while j + 2 < len(tokens) and tokens[j].kind == "ident" and tokens[j + 1].text == ".":
                j += 2
            if j < len(tokens) and tokens[j].kind == "ident":
                tested.add(tokens[j].text)
        elif tok.kind == "string" and k + 1 < len(tokens) and tokens[k + 1].text == "in":
            tested.add(tok.text[1:-1])
    return tested


def scan(source: str) -> list[Finding]:
    """Every construct or API in `source` that the phone baseline lacks, in order of lines.

    An API the same file feature-tests (`typeof Intl.PluralRules === 'function'`) counts as used
    with a fallback, and is not reported.
    """
    tokens = tokenize(source)
    tested = _feature_tested(tokens)
    found: list[Finding] = []
    for k, tok in enumerate(tokens):
        prev = tokens[k - 1] if k else None
        before = tokens[k - 2] if k > 1 else None
        nxt = tokens[k + 1] if k + 1 < len(tokens) else None
        if tok.kind == "punct" and tok.text in OPERATORS:
            found.append(Finding(tok.line, OPERATORS[tok.text]))
        elif tok.kind == "punct" and tok.text == "#" and nxt and nxt.kind == "ident":
            found.append(Finding(tok.line, "private class member #name (Safari 14.1/15, Chrome 74/84)"))
        elif tok.kind == "number" and ("_" in tok.text or tok.text.endswith("n")):
            what = "numeric separator (Safari 13, Chrome 75)" if "_" in tok.text else "BigInt literal"
            found.append(Finding(tok.line, what))
        elif tok.kind == "regex":
            body, _, flags = tok.text[1:].rpartition("/")
            found += [Finding(tok.line, what) for pattern, what in REGEX_SYNTAX if pattern.search(body)]
            found += [Finding(tok.line, REGEX_FLAGS[f]) for f in flags if f in REGEX_FLAGS]
        elif tok.kind == "ident" and tok.text in tested:
            continue
        elif tok.kind == "ident" and prev and prev.text == ".":
            # `tally.at` is a field of our own; only `.at(` is the method.
            what = MEMBERS.get(tok.text) if tok.text != "at" or (nxt and nxt.text == "(") else None
            if what is None and before is not None:
                what = QUALIFIED.get((before.text, tok.text))
            if what:
                found.append(Finding(tok.line, what))
        elif tok.kind == "ident" and tok.text in GLOBALS:
            found.append(Finding(tok.line, GLOBALS[tok.text]))
        elif tok.kind == "ident" and tok.text == "export" and nxt and nxt.text == "*":
            after = tokens[k + 2] if k + 2 < len(tokens) else None
            if after and after.text == "as":
                found.append(Finding(tok.line, "export * as name (Safari 14.1, Chrome 72)"))
    found += _class_fields(tokens)
    found += _await_outside_async(tokens)
    return sorted(found, key=lambda f: f.line)
