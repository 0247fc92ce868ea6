"""Built-in readers: plain text, JSON Lines, PubMed XML, ClinicalTrials.gov API v2 JSON.

Each reader turns one source into Documents. A record that cannot be used (a
JSON line that does not parse, an article without text) is yielded as a
:class:`SkippedDocument` with the reason, so one bad record costs that record
only; a source that cannot be opened at all raises a one-line error naming it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..components import Reader
from ..errors import BadInputError, NotFoundError
from ..values import Document, SkippedDocument

STDIN = "-"


def _open_text(source: str) -> str:
    """The text of a file, or of standard input for ``-``; a one-line error otherwise."""
    if source == STDIN:
        return sys.stdin.read()
    path = Path(source)
    if not path.exists():
        raise NotFoundError(f"{source}: no such file")
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise BadInputError(f"{source}: cannot read ({exc.strerror})") from None


def json_error(exc: json.JSONDecodeError) -> str:
    """"Unterminated string starting at column 2": json's own message ends with "at"
    for some errors ("… starting at", "Invalid control character at"), so the
    position is joined to it rather than said twice."""
    message = exc.msg.removesuffix(" at")
    return f"{message} at line {exc.lineno}, column {exc.colno}" if exc.lineno > 1 \
        else f"{message} at column {exc.colno}"


class TextReader(Reader):
    """One document per file; the first line is the title when it is short."""

    id = "text"
    description = "plain text files, one document each (.txt, .text)"
    extensions = (".txt", ".text")

    def read(self, source: str) -> Iterator[Document | SkippedDocument]:
        text = _open_text(source)
        if not text.strip():
            yield SkippedDocument(source, "empty file")
            return
        first = text.strip().splitlines()[0].strip()
        title = first if len(first) <= 200 and len(text.strip().splitlines()) > 1 else None
        name = "stdin" if source == STDIN else Path(source).stem
        yield Document(text=text, id=name, title=title, source=source)


class JsonLinesReader(Reader):
    """``{"id": ..., "text": ..., ...}`` per line; other keys become metadata."""

    id = "jsonl"
    description = 'JSON Lines: {"id": ..., "text": ...} plus metadata (.jsonl, .ndjson)'
    extensions = (".jsonl", ".ndjson")

    def read(self, source: str) -> Iterator[Document | SkippedDocument]:
        text = _open_text(source)
        yield from self.read_lines(text.splitlines(), source)

    @staticmethod
    def read_lines(lines: Iterable[str], source: str) -> Iterator[Document | SkippedDocument]:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{source}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield SkippedDocument(where, f"not JSON ({json_error(exc)})")
                continue
            if not isinstance(record, dict):
                yield SkippedDocument(where, "not a JSON object")
                continue
            body = record.get("text")
            if not isinstance(body, str) or not body.strip():
                yield SkippedDocument(where, 'no "text" field')
                continue
            meta = {k: v for k, v in record.items() if k not in ("id", "text", "title")}
            ident = record.get("id")
            yield Document(text=body, id=str(ident) if ident is not None else None,
                           title=record.get("title") if isinstance(record.get("title"), str) else None,
                           source=where, metadata=meta)


class PubMedReader(Reader):
    """PubmedArticleSet XML (efetch or the baseline files): title + abstract, PMID as id."""

    id = "pubmed"
    description = "PubMed XML (PubmedArticleSet): title and abstract, PMID, journal, year"
    extensions = (".xml",)

    def can_read(self, source: str) -> bool:
        if not source.lower().endswith(".xml"):
            return False
        try:
            with open(source, "rb") as f:
                head = f.read(4096)
        except OSError:
            return False
        return b"<PubmedArticleSet" in head or b"<PubmedArticle" in head

    def read(self, source: str) -> Iterator[Document | SkippedDocument]:
        from lxml import etree

        if not Path(source).exists():
            raise NotFoundError(f"{source}: no such file")
        # No DTD loading, no entity expansion, no network: PubMed files need none of it.
        parser_args = dict(events=("end",), tag="PubmedArticle", resolve_entities=False,
                           load_dtd=False, no_network=True, huge_tree=False)
        try:
            for _, article in etree.iterparse(source, **parser_args):
                yield self._document(article, source)
                article.clear(keep_tail=True)
        except etree.XMLSyntaxError as exc:
            line = exc.lineno if hasattr(exc, "lineno") else "?"
            raise BadInputError(f"{source}, line {line}: malformed XML ({exc.msg})") from None

    @staticmethod
    def _document(article: Any, source: str) -> Document | SkippedDocument:
        pmid = (article.findtext(".//MedlineCitation/PMID") or "").strip()
        title = " ".join("".join(article.find(".//ArticleTitle").itertext()).split()) \
            if article.find(".//ArticleTitle") is not None else ""
        parts = []
        for node in article.iterfind(".//Abstract/AbstractText"):
            body = " ".join("".join(node.itertext()).split())
            label = node.get("Label")
            parts.append(f"{label.capitalize()}: {body}" if label else body)
        if not pmid:
            return SkippedDocument(source, "an article without a PMID")
        if not title and not parts:
            return SkippedDocument(f"{source}#PMID{pmid}", "no title and no abstract")
        year = (article.findtext(".//Article/Journal/JournalIssue/PubDate/Year")
                or (article.findtext(".//Article/Journal/JournalIssue/PubDate/MedlineDate") or "")[:4]
                or None)
        meta: dict[str, Any] = {"pmid": pmid,
                                "journal": article.findtext(".//Article/Journal/Title"),
                                "year": int(year) if year and year.isdigit() else None,
                                "url": f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"}
        text = "\n".join([title, *parts]) if title else "\n".join(parts)
        return Document(text=text, id=f"PMID:{pmid}", title=title or None, source=source,
                        metadata={k: v for k, v in meta.items() if v is not None})


class ClinicalTrialsReader(Reader):
    """ClinicalTrials.gov API v2 study records: one study, a list, or ``{"studies": [...]}``."""

    id = "clinicaltrials"
    description = "ClinicalTrials.gov API v2 JSON: NCT id, conditions, interventions, summaries"
    extensions = (".json",)

    def read(self, source: str) -> Iterator[Document | SkippedDocument]:
        text = _open_text(source)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInputError(f"{source}: not JSON ({json_error(exc)})") from None
        studies = data.get("studies") if isinstance(data, dict) and "studies" in data else \
            data if isinstance(data, list) else [data]
        if not isinstance(studies, list):
            raise BadInputError(f'{source}: "studies" is not a list')
        for i, study in enumerate(studies):
            yield self._document(study, f"{source}#{i}")

    @staticmethod
    def _document(study: Any, where: str) -> Document | SkippedDocument:
        proto = study.get("protocolSection") if isinstance(study, Mapping) else None
        if not isinstance(proto, Mapping):
            return SkippedDocument(where, "not a ClinicalTrials.gov v2 study (no protocolSection)")

        def section(name: str) -> Mapping[str, Any]:
            value = proto.get(name)
            return value if isinstance(value, Mapping) else {}

        ident = section("identificationModule")
        nct = ident.get("nctId")
        if not nct:
            return SkippedDocument(where, "a study without an nctId")
        desc = section("descriptionModule")
        title = ident.get("officialTitle") or ident.get("briefTitle")
        summary = [p for p in (desc.get("briefSummary"), desc.get("detailedDescription")) if p]
        if not title and not summary:
            return SkippedDocument(f"{where} ({nct})", "no title and no description")
        conditions = list(section("conditionsModule").get("conditions") or [])
        interventions = [i.get("name") for i in section("armsInterventionsModule").get("interventions") or []
                         if isinstance(i, Mapping) and i.get("name")]
        eligibility = section("eligibilityModule").get("eligibilityCriteria")
        text = "\n\n".join(p for p in [title or "", *summary] if p)
        meta = {"nct_id": nct, "conditions": conditions, "interventions": interventions,
                "eligibility": eligibility, "url": f"https://clinicaltrials.gov/study/{nct}",
                "phases": section("designModule").get("phases"),
                "status": section("statusModule").get("overallStatus")}
        return Document(text=text, id=nct, title=title, source=where,
                        metadata={k: v for k, v in meta.items() if v})


BUILTIN_READERS: tuple[type[Reader], ...] = (TextReader, JsonLinesReader, PubMedReader, ClinicalTrialsReader)


def _is_meta(path: Path) -> bool:
    """Hidden files and a corpus's own README or LICENSE: about the data, not data."""
    return path.name.startswith(".") or path.stem.upper() in ("README", "LICENSE", "LICENCE", "NOTICE")


def expand_sources(sources: Iterable[str]) -> Iterator[str]:
    """Files named directly, every file under a directory (sorted), and ``-``."""
    for source in sources:
        if source == STDIN:
            yield source
            continue
        path = Path(source)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not _is_meta(p))
            yield from (str(p) for p in files)
        elif path.exists():
            yield source
        else:
            raise NotFoundError(f"{source}: no such file or directory")


def reader_for(source: str, readers: Mapping[str, Reader], stdin_format: str = "text") -> Reader:
    """The reader that takes ``source``: content sniffing first (PubMed XML), then extensions."""
    if source == STDIN:
        if stdin_format not in readers:
            raise BadInputError(f"unknown input format {stdin_format!r} (known: {', '.join(sorted(readers))})")
        return readers[stdin_format]
    for reader in readers.values():
        if reader.can_read(source):
            return reader
    raise BadInputError(f"{source}: no reader for this file type "
                        f"(readers: {', '.join(sorted(readers))}; use .txt, .jsonl, .xml or .json)")
