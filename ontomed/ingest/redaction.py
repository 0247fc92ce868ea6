"""Clinical notes lose their direct identifiers before anything from them is stored (issue 15).

A document is a clinical note when ``ontomed build --clinical`` says so, or when its record says
so (``"clinical": true`` in a JSON Lines record, which the reader keeps as metadata). For those,
:func:`redact_document` runs every registered :class:`~ontomed.Redactor` over the title and
the text together (a name found in one is removed from both), writes each kind's placeholder in
place of every span found (``[NAME]``, ``[DATE] 2019``: a date keeps its year, as Safe Harbor
allows), replaces the record identifier by a keyed hash, and drops the source path (a file name
can name a patient). Extraction then runs on the redacted text, so every offset and evidence
sentence refers to what is stored, and the document IRI is the hash of the redacted text.

The record identifier becomes ``note-`` + the first 16 hex digits of HMAC-SHA256(key, id). A
plain hash would not do: medical record numbers are short enough to hash them all and read the
store backwards. The key is ``ONTOMED_REDACTION_KEY`` when set (a site sets one so that every
machine maps a record to the same identifier), else a random key made once and kept, readable by
its owner only, in ``$XDG_CONFIG_HOME/ontomed/redaction.key`` — outside the knowledge base, so
that whoever gets a copy of the store does not get the key. The same record gets the same
identifier on every run: rebuilding adds nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..components import Redactor
from ..errors import BadInputError
from ..values import Document, Identifier

#: The Safe Harbor kinds the default redactor finds (``ID``: any other identifying number).
KINDS = ("NAME", "DATE", "AGE", "PHONE", "FAX", "EMAIL", "ADDRESS", "POSTCODE", "MRN", "INSURANCE",
         "ACCOUNT", "LICENCE", "SSN", "URL", "IP", "ID")
AGE_PLACEHOLDER = "[AGE 90+]"
KEY_ENV = "ONTOMED_REDACTION_KEY"


def placeholder(kind: str) -> str:
    return AGE_PLACEHOLDER if kind == "AGE" else f"[{kind}]"


@dataclass(frozen=True)
class Redacted:
    """A redacted text and the spans (in the original text) that were replaced."""

    text: str
    identifiers: tuple[Identifier, ...]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for found in self.identifiers:
            out[found.kind] = out.get(found.kind, 0) + 1
        return out


def merge(found: Iterable[Identifier]) -> list[Identifier]:
    """Overlapping spans become one (the kind and replacement of the longest), sorted."""
    spans = sorted(found, key=lambda i: (i.start, -(i.end - i.start)))
    merged: list[Identifier] = []
    for span in spans:
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            widest = last if last.end - last.start >= span.end - span.start else span
            merged[-1] = Identifier(widest.kind, last.start, max(last.end, span.end),
                                    widest.replacement if span.end <= last.end else None)
            continue
        merged.append(span)
    return merged


def redact(text: str, redactors: Iterable[Redactor]) -> Redacted:
    """``text`` with what every redactor finds replaced by placeholders."""
    found: list[Identifier] = []
    for redactor in redactors:
        try:
            spans = list(redactor.find(text))
        except Exception as exc:  # noqa: BLE001 - a failing redactor must stop the note, quietly
            # the exception's message may quote the note: only its type is said
            raise RedactionError(f"redactor {redactor.id!r} failed ({type(exc).__name__}); "
                                 "the note was not stored") from None
        for span in spans:
            if not isinstance(span, Identifier) or span.end > len(text):
                raise RedactionError(f"redactor {redactor.id!r} returned a span outside the text; "
                                     "the note was not stored")
        found.extend(spans)
    merged = merge(found)
    parts, pos = [], 0
    for span in merged:
        parts.append(text[pos:span.start])
        parts.append(span.replacement if span.replacement is not None else placeholder(span.kind))
        pos = span.end
    parts.append(text[pos:])
    return Redacted("".join(parts), tuple(merged))


class RedactionError(BadInputError):
    """A clinical note could not be redacted, so nothing of it is stored."""


def is_clinical(document: Document, clinical: bool) -> bool:
    flag = document.metadata.get("clinical")
    return clinical or flag is True or (isinstance(flag, str) and flag.strip().lower() in ("true", "yes", "1"))


TITLE_SEPARATOR = "\n\n"


def redact_document(document: Document, redactors: Sequence[Redactor], key: bytes) -> tuple[Document, Redacted]:
    """The document as it may be stored: title and text redacted together, the identifier keyed,
    no source path, only metadata that cannot identify (none is kept)."""
    title = document.title or ""
    both = redact(f"{title}{TITLE_SEPARATOR}{document.text}", redactors)
    new_title, sep, new_text = both.text.partition(TITLE_SEPARATOR)
    if not sep:  # a redactor took the separator itself: redact the parts on their own
        new_title = redact(title, redactors).text
        new_text = redact(document.text, redactors).text
    ident = keyed_identifier(document.id, key) if document.id else None
    return replace(document, text=new_text, title=new_title or None, id=ident, source=None,
                   metadata={"clinical": True}), both


def keyed_identifier(identifier: str, key: bytes) -> str:
    return "note-" + hmac.new(key, identifier.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def redaction_key(environ: Mapping[str, str] | None = None) -> bytes:
    """The key of :func:`keyed_identifier` (see the module's docstring for where it lives)."""
    env = os.environ if environ is None else environ
    if env.get(KEY_ENV):
        return env[KEY_ENV].encode("utf-8")
    base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    path = base / "ontomed" / "redaction.key"
    try:
        key = bytes.fromhex(path.read_text("ascii").strip())
        if len(key) < 16:
            raise ValueError("shorter than 16 bytes")
        return key
    except FileNotFoundError:
        pass
    except (ValueError, OSError) as exc:
        raise BadInputError(f"{path}: not a redaction key ({type(exc).__name__}); remove it to make a "
                            f"new one, or set {KEY_ENV}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another build made it first: use theirs
        return redaction_key(environ)
    with os.fdopen(fd, "w") as f:
        f.write(key.hex() + "\n")
    return key


def select_redactors(names: Sequence[str] | None) -> list[Redactor]:
    """The named redactors, or every registered one."""
    from ..plugins import get_redactors

    registered = get_redactors()
    if not names:
        return list(dict.fromkeys(registered.values()))
    unknown = [n for n in names if n not in registered]
    if unknown:
        raise BadInputError(f"no redactor {', '.join(map(repr, unknown))} "
                            f"(loaded: {', '.join(sorted(registered)) or 'none'})")
    return [registered[n] for n in dict.fromkeys(names)]
