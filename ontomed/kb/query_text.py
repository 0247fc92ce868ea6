"""What ontomed reads in SPARQL text itself: its tokens, a syntax error told in one line,
and the columns of ``SELECT *`` in the order the query names them.

Oxigraph's parser reports a syntax error as the position where it gave up and
every token it could have taken there, character classes included ("expected
one of Prefix not found, ['%'], ['-' | '0' ..= '9' | '\\u{00B7}' …"): several
lines that a person cannot act on. :func:`syntax_error_message` keeps the
position, shows the text there, keeps the reason when the parser had one (an
unknown prefix, a duplicated variable) or else the keywords and punctuation it
expected, and adds what the text itself shows: a prefix used but never
declared, a bracket left open.

``SELECT *`` projects every variable in scope; Oxigraph lists them in
alphabetical order (``?o ?p ?s`` for ``{ ?s ?p ?o }``), the SPARQL standard
leaves the order open, and a person expects the order of the query.
:func:`star_columns` says that order, and :func:`reorder_tsv` puts a result's
columns in it (re-running the query with the columns spelled out would call
any ``SERVICE`` in it twice).

The lexer is shared with the endpoint's guard (:mod:`ontomed.web.guard`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

_PN_CHARS = r"A-Za-z0-9_\-\u00B7-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF"
_LOCAL_ESC = r"\\[_~.\-!$&'()*+,;=/?#@%]"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"

_TOKENS = re.compile(
    rf"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>
        \"\"\"(?:(?:\"|\"\")?(?:[^\"\\]|\\.))*\"\"\"
      | '''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
      | \"(?:[^\"\\\n\r]|\\.)*\"
      | '(?:[^'\\\n\r]|\\.)*'
    )
  | (?P<iri><(?:[^<>\"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)
  | (?P<var>[?$][{_PN_CHARS}]+)
  | (?P<open>[{{(\[])
  | (?P<close>[}})\]])
  | (?P<word>
        (?:[A-Za-z_\u00C0-\uFFFD][{_PN_CHARS}.]*)?:(?:[{_PN_CHARS}.:%]|{_LOCAL_ESC})*
      | [A-Za-z_][A-Za-z0-9_]*
    )
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    depth: int  # bracket depth at the token (an opening bracket counts outside itself)

    @property
    def keyword(self) -> str | None:
        """The upper-cased keyword, or None for names with a colon, IRIs, strings…"""
        if self.kind == "word" and ":" not in self.text:
            return self.text.upper()
        return None


def tokens(text: str) -> Iterator[Token]:
    """The significant tokens of SPARQL text (no whitespace, no comments)."""
    depth = 0
    for m in _TOKENS.finditer(text):
        kind = m.lastgroup or "other"
        if kind in ("ws", "comment"):
            continue
        if kind == "close":
            depth = max(depth - 1, 0)
        yield Token(kind, m.group(), m.start(), depth)
        if kind == "open":
            depth += 1


#: Deepest nesting of ``{ ( [`` that the library and the command line let through to the
#: engine: its recursive-descent parser overflows the stack (SIGSEGV, the process gone, no
#: message) on a few thousand nested groups; no real query comes near 200.
MAX_NESTING = 200


def check_nesting(text: str, max_depth: int = MAX_NESTING) -> None:
    """Refuse SPARQL text that nests brackets deeper than ``max_depth`` (outside strings,
    IRIs and comments). A text with fewer brackets than that in all is let through at
    the cost of three ``str.count``; only the others are read token by token."""
    from ..errors import QuerySyntaxError

    if text.count("{") + text.count("(") + text.count("[") <= max_depth:
        return
    for tok in tokens(text):
        if tok.kind == "open" and tok.depth + 1 > max_depth:
            line = text.count("\n", 0, tok.start) + 1
            raise QuerySyntaxError(f"the query nests {{ }} / ( ) / [ ] groups more than {max_depth} "
                                   f"deep (line {line}); SPARQL engines overflow their stack on such text")


# -- syntax errors ----------------------------------------------------------------------------

_POSITION = re.compile(r"^error at (\d+):(\d+): (?:expected one of |expected )?(.*)$", re.DOTALL)
#: How much of the text at the error is shown, and how many expected tokens are listed.
_NEAR = 24
_LISTED = 8
_PAIRS = {"{": "}", "(": ")", "[": "]"}


def syntax_error_message(exc: SyntaxError | str, text: str,
                         prefixes: Mapping[str, str] | None = None) -> str:
    """One line for a SPARQL syntax error: where, the text there, and a hint a person can use.

    ``prefixes`` are the predeclared ones (they are named when the query uses an
    unknown prefix). The result never holds a line break, however the parser
    formatted its message.
    """
    raw = str(exc.args[0]) if isinstance(exc, SyntaxError) and exc.args else str(exc)
    m = _POSITION.match(raw.strip())
    if m is None:
        return "SPARQL syntax error: " + " ".join(raw.split())
    line, column, expected = int(m.group(1)), int(m.group(2)), m.group(3)
    reasons, wanted = _expected(expected)
    where = f"line {line}, column {column}"
    near = _near(text, line, column)
    head = f"SPARQL syntax error at {where}" + (f" (near {near})" if near else " (at the end)")
    hints = _unknown_prefixes(text, prefixes or {})
    if not hints:
        if reasons:
            hints.append("; ".join(_sentence_case(r) for r in reasons))
        if wanted:
            shown = [w if re.fullmatch(r"[A-Za-z]\w*|a name", w) else repr(w) for w in wanted[:_LISTED]]
            shown += ["…"] if len(wanted) > _LISTED else []
            hints.append("expected " + (shown[0] if len(shown) == 1 else "one of " + ", ".join(shown)))
        hints.extend(_unbalanced(text))
    if not hints:
        hints.append("the query does not parse here")
    return f"{head}: {'; '.join(hints)}"


def _expected(text: str) -> tuple[list[str], list[str]]:
    """(reasons, tokens): what the parser's list says in words, and the tokens it wanted,
    without its character classes."""
    reasons: list[str] = []
    wanted: list[str] = []
    for item in _split_top(text):
        item = item.strip()
        if not item or item == "[_]":
            continue
        if item.startswith("["):  # a character class: only a single character is worth naming
            single = re.fullmatch(r"\['(.)'\]", item)
            if single:
                wanted.append(single.group(1))
            elif "'A' ..= 'Z'" in item or "'a' ..= 'z'" in item:
                wanted.append("a name")
            continue
        if item.startswith('"') and item.endswith('"') and len(item) >= 2:
            wanted.append(item[1:-1].replace('\\"', '"').replace("\\\\", "\\"))
        elif " " in item:
            reasons.append(item)  # a message of the parser's ("Prefix not found")
        else:
            wanted.append(item)
    return list(dict.fromkeys(reasons)), list(dict.fromkeys(wanted))


def _sentence_case(text: str) -> str:
    """"Prefix not found" → "prefix not found"; "IRI parsing failed" stays."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _split_top(text: str) -> Iterator[str]:
    """Split at commas that are outside brackets and quotes."""
    depth, quote, start = 0, "", 0
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "[":
            depth += 1
        elif c == "]":
            depth = max(depth - 1, 0)
        elif c == "," and depth == 0:
            yield text[start:i]
            start = i + 1
        i += 1
    yield text[start:]


def _near(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return ""
    rest = lines[line - 1][max(column - 1, 0):].strip()
    if not rest:
        later = " ".join(x.strip() for x in lines[line:] if x.strip())
        rest = later
    if not rest:
        return ""
    shown = rest[:_NEAR] + ("…" if len(rest) > _NEAR else "")
    return repr(shown) if "'" not in shown else '"' + shown + '"'


def _unknown_prefixes(text: str, predeclared: Mapping[str, str]) -> list[str]:
    declared = set(predeclared)
    used: list[str] = []
    previous = None
    for tok in tokens(text):
        if tok.kind == "word" and ":" in tok.text:
            prefix = tok.text.split(":", 1)[0]
            if prefix == "_":
                pass  # a blank node label, not a prefix
            elif previous == "PREFIX":
                declared.add(prefix)
            else:
                used.append(prefix)
        previous = tok.keyword
    unknown = [p for p in dict.fromkeys(used) if p not in declared]
    if not unknown:
        return []
    names = ", ".join(f"{p}:" for p in unknown)
    known = ", ".join(f"{p}:" for p in predeclared) or "none"
    example = unknown[0]
    return [f"unknown prefix {names} (declare it: PREFIX {example}: <…>; predeclared: {known})"]


def _unbalanced(text: str) -> list[str]:
    """A bracket left open or closed twice, which the parser reports far from its cause."""
    stack: list[Token] = []
    for tok in tokens(text):
        if tok.kind == "open":
            stack.append(tok)
        elif tok.kind == "close":
            if not stack or _PAIRS[stack[-1].text] != tok.text:
                line, column = _line_column(text, tok.start)
                return [f"the {tok.text!r} at line {line}, column {column} closes nothing"]
            stack.pop()
    if stack:
        line, column = _line_column(text, stack[-1].start)
        return [f"the {stack[-1].text!r} at line {line}, column {column} is never closed"]
    return []


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


# -- SELECT * ----------------------------------------------------------------------------------

def _star(text: str) -> Token | None:
    """The ``*`` of the query's own ``SELECT *`` (not a subquery's), or None."""
    expect_star = False
    for tok in tokens(text):
        if expect_star:
            if tok.keyword in ("DISTINCT", "REDUCED"):
                continue
            return tok if tok.kind == "other" and tok.text == "*" else None
        if tok.keyword == "SELECT":
            if tok.depth:
                return None  # a subquery comes first: the outer form is not SELECT
            expect_star = True
        elif tok.keyword in ("ASK", "CONSTRUCT", "DESCRIBE"):
            return None
    return None


def star_columns(text: str, variables: Sequence[str]) -> list[str] | None:
    """The order a person expects for ``SELECT *``'s ``variables``: as the query first
    names them. None when the query is not ``SELECT *`` or the order already holds."""
    if "*" not in text or _star(text) is None:
        return None
    first: dict[str, int] = {}
    for tok in tokens(text):
        if tok.kind == "var":
            first.setdefault(tok.text[1:], tok.start)
    ordered = sorted(variables, key=lambda v: (first.get(v, len(text)), v))
    return None if ordered == list(variables) else ordered


def reorder_tsv(tsv: bytes, columns: Sequence[str]) -> bytes:
    """SPARQL results as TSV with their columns in the order ``columns`` names them.

    A TSV result holds one row per line and escapes tabs and line breaks inside
    terms, so columns are split at tabs. This is how ``SELECT *`` gets the query's
    order without running the query twice (a ``SERVICE`` in it would be called twice).
    """
    lines = tsv.split(b"\n")
    header = [name.decode("utf-8").lstrip("?$") for name in lines[0].split(b"\t")] if lines[0] else []
    if sorted(header) != sorted(columns):
        return tsv
    index = [header.index(c) for c in columns]
    out: list[bytes] = []
    for line in lines:
        if not line:
            out.append(line)
            continue
        cells = line.split(b"\t")
        out.append(b"\t".join(cells[i] for i in index))
    return b"\n".join(out)
