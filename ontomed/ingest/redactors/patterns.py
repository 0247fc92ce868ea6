"""The default redactor: HIPAA Safe Harbor identifiers found by patterns and by the words around them.

Why patterns and not Microsoft Presidio (the named peer, measured beside this one in
``benchmarks/redaction.py``): Presidio's analyzer depends on spaCy (about twenty packages) even
when only its pattern recognizers run, finds names and street addresses only through a spaCy
model that must be downloaded, has no recognizer for medical record, insurance or account
numbers, and its e-mail and URL recognizers try to fetch the public suffix list from the network
on first use. Names, the commonest identifier of a note, are found here from the words that
introduce them in clinical writing (titles, roles, relations, labels, credentials) and then
everywhere else the same name occurs in the note.

Each finder is a function ``text → [Identifier]``; :class:`PatternRedactor` runs them all.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator, Sequence
from typing import ClassVar

from ...components import Redactor
from ...values import Identifier

Finder = Callable[[str], Iterator[Identifier]]

# -- names -----------------------------------------------------------------------------------

#: One word of a name: "Smith", "O'Sullivan", "McAllister", "Delgado-Ruiz", "DeShawn", "Zoë".
_TOKEN = r"(?:[A-Z][a-zà-ÿ]*(?:['’][A-Z][a-zà-ÿ]+|[A-Z][a-zà-ÿ]+)?(?:-[A-Z][a-zà-ÿ]+)?)"
_NAME = rf"{_TOKEN}(?:[ \t](?:[A-Z]\.[ \t])?{_TOKEN}){{0,2}}"
#: Capitalised words that are never part of a name (they start sentences, label fields, …).
_NOT_NAMES = frozenset("""
The A An And Or Of In On At To For With By From He She His Her They Their We Our I It This That
Patient Patients Name Date Dr Doctor Mr Mrs Ms Miss Mx Prof Professor Plan Seen Signed Note Notes
MRN DOB Phone Tel Fax Email E-mail Address Home Cell Mobile Contact Emergency Follow Followup Return
Referred Labs Insurance Member Account Driver SSN Medicare Medicaid Billing Images Telemetry Please
Admission Discharge Clinic Progress Consultation Letter Review History Next Our Yours Sincerely
Attending Physician Consultant Surgeon Registrar Nurse Practice Today Yesterday Tomorrow Monday
Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August
September October November December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec ED ER ICU
MD DO RN NP PA PhD MBBS FRCP Unit Record Chart Hospital Usual Reachable Resides Lives Images
Department Cardiology Neurology Oncology Surgery Medicine Pharmacy Laboratory Radiology Street
Avenue Road Lane Drive Court Boulevard Place Way Close Row Crescent Terrace Walk Heights Gardens
Apt Flat Suite Cc CC Re RE Amended Addendum No Yes None Not Mother Father Son Daughter Wife Husband
Sister Brother Partner Niece Nephew Aunt Uncle Spouse Friend Caregiver Guardian
""".split())

_TITLES = r"(?:Dr|Doctor|Prof|Professor|Mr|Mrs|Ms|Miss|Mx|Sr|Sister|Nurse)"
_RELATIONS = (r"(?:husband|wife|spouse|partner|son|daughter|mother|father|sister|brother|niece|nephew|"
              r"aunt|uncle|grandson|granddaughter|grandmother|grandfather|cousin|friend|neighbou?r|"
              r"caregiver|carer|guardian|fianc[ée]e?|stepson|stepdaughter)")
_LABELS = (r"(?:patient(?:'s)? name|patient|name|re|attending(?: physician)?|signed(?: by)?|"
           r"(?:electronically )?signed by|dictated by|(?:note )?authored by|co-?signed by|"
           r"transcribed by|seen (?:with|by)|reviewed by|cc|referred to|discussed with|"
           r"yours (?:sincerely|faithfully)|kind regards|regards|emergency contact|next of kin(?: is)?|"
           r"contact person|seen today|i (?:reviewed|saw|examined|met)|referring (?:physician|doctor)|"
           r"primary care(?: physician| provider)?|pcp|provider|surgeon|consultant|registrar|"
           r"resident|intern|fellow|nurse|therapist|pharmacist|interpreter|"
           r"(?:summary|note|letter|report|review|consultation|referral|visit) (?:for|of|on|re|regarding))")
_CREDENTIALS = r"(?:MD|M\.D\.|DO|RN|NP|PA-C|PA|MBBS|MBChB|FRCP|FRCS|PhD|PharmD|DNP|CNS|LPN|MRCP)"

#: Between a cue and the name: a colon or comma (then any space), or spaces on the same line; a
#: line break alone ends the cue ("practice nurse" at a line's end, a drug name on the next).
_GAP = r"(?:[ \t]*[:,]\s*|[ \t]+)"
_CUED = [
    # Dr. Patel, Mr./Ms. Smith, Prof Okafor
    re.compile(rf"\b{_TITLES}\.?(?:/{_TITLES}\.?)?\s+(?P<name>{_NAME})"),
    # his wife Maria, the patient's niece, Ana; partner Tom Lee
    re.compile(rf"\b{_RELATIONS}{_GAP}(?:is\s+)?(?P<name>{_NAME})"),
    # Patient: John Smith; Signed by Dr. Jones; cc: Lee; Yours sincerely, Ann Lee
    re.compile(rf"(?i:\b{_LABELS})(?:{_GAP}|[ \t]*-[ \t]*)(?:{_TITLES}\.?\s+)?(?P<name>{_NAME})"),
    # Robert Chen, MD; Sarah Kim (NP)
    re.compile(rf"(?P<name>{_NAME}),?\s+\(?{_CREDENTIALS}\b"),
    # Ana Lee (sister); Tom Lee, her son
    re.compile(rf"(?P<name>{_NAME})\s+\((?:the\s+)?(?:patient's\s+)?{_RELATIONS}\)"),
    re.compile(rf"(?P<name>{_NAME}),\s+(?:the\s+)?(?:patient's\s+|her\s+|his\s+|their\s+)?{_RELATIONS}\b"),
    # John Smith is a 92-year-old …; Ana, aged 93, …; Lee (born 1 May 1930); Lee (MRN …)
    re.compile(rf"(?P<name>{_NAME}),?\s+(?:is\s+an?\s+\d|aged\s+\d|\d+\s+years?\s+old|\((?:born|DOB|d\.o\.b|MRN|age)\b)"),
]


def _name_run(name: str) -> tuple[int, int] | None:
    """The offsets of the name in a cued phrase: its first run of name words (a stop word such
    as "The" or "Plan" is not one, and ends the run)."""
    run: list[tuple[int, int]] = []
    for token in re.finditer(_TOKEN, name):
        if token.group() not in _NOT_NAMES and len(token.group()) > 1:
            run.append((token.start(), token.end()))
        elif run:
            break
    return (run[0][0], run[-1][1]) if run else None


def find_names(text: str) -> Iterator[Identifier]:
    """Names after a cue, then every other whole-word occurrence of their words in the note."""
    spans: list[tuple[int, int]] = []
    for pattern in _CUED:
        for m in pattern.finditer(text):
            offset = m.start("name")
            name = m.group("name")
            run = _name_run(name)
            if run:
                spans.append((offset + run[0], offset + run[1]))
    words = {w for s, e in spans for w in re.findall(_TOKEN, text[s:e]) if w not in _NOT_NAMES and len(w) > 1}
    for word in words:
        for m in re.finditer(rf"(?<![\w'’-]){re.escape(word)}(?![\w-])", text):
            spans.append(_widen(text, m.start(), m.end()))
    for start, end in spans:
        yield Identifier("NAME", start, end)


_BEFORE = re.compile(rf"(?:^|(?<=[\s(]))(?P<word>{_TOKEN}),?[ \t]$")
_AFTER = re.compile(rf"^,?[ \t](?P<word>{_TOKEN})(?![\w'’-])")


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """A known name word takes the name words beside it: "Daniel Wright", "Thompson, Daniel"
    (a first name said once, beside a surname said often)."""
    for _ in range(2):
        before = _BEFORE.search(text[max(0, start - 40):start])
        if before and before.group("word") not in _NOT_NAMES and len(before.group("word")) > 1:
            start -= len(before.group()) - before.start("word") + before.start()
        after = _AFTER.match(text[end:end + 40])
        if after and after.group("word") not in _NOT_NAMES and len(after.group("word")) > 1:
            end += after.end("word")
    return start, end


# -- dates and ages ---------------------------------------------------------------------------

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_DATES = [
    # 03/04/2019, 3-4-2019, 04.03.2019, 3/4/19
    re.compile(rf"\b(?:[0-3]?\d)[/.-](?:[0-3]?\d)[/.-](?:{_YEAR}|(?P<yy>\d{{2}}))\b"),
    # 2019-03-04, 2019/03/04
    re.compile(rf"\b{_YEAR}[/.-](?:[01]?\d)[/.-](?:[0-3]?\d)\b"),
    # March 4, 2019; Mar. 4th 2019; March 4 (no year)
    re.compile(rf"\b{_MONTH}\s+{_DAY}\b(?:,?\s+{_YEAR}\b)?"),
    # 4 March 2019; the 4th of March, 2019; 04-Mar-2019
    re.compile(rf"\b(?:the\s+)?{_DAY}(?:\s+of)?[\s-]+{_MONTH}(?:,?[\s-]+{_YEAR}\b)?"),
    # March 2019
    re.compile(rf"\b{_MONTH}\s+{_YEAR}\b"),
]


def find_dates(text: str) -> Iterator[Identifier]:
    for pattern in _DATES:
        for m in pattern.finditer(text):
            year = m.groupdict().get("year") or m.groupdict().get("yy")
            yield Identifier("DATE", m.start(), m.end(), f"[DATE] {year}" if year else "[DATE]")


_OLD = r"(?:9\d|1[0-2]\d)"
_AGES = [
    re.compile(rf"\b(?P<age>{_OLD})(?=[\s-]*(?:years?|yrs?|y)[\s-]*(?:old|/o|o\b)|[\s-]*y/?o\b|-year)", re.I),
    re.compile(rf"\b(?:aged?|age:)\s*(?P<age>{_OLD})\b", re.I),
    re.compile(rf"\b(?P<age>{_OLD})\s+years?\s+(?:of\s+age|old)\b", re.I),
]


def find_ages(text: str) -> Iterator[Identifier]:
    for pattern in _AGES:
        for m in pattern.finditer(text):
            yield Identifier("AGE", m.start("age"), m.end("age"))


# -- contact: telephone, fax, e-mail, URLs, IP addresses ---------------------------------------

_PHONE = re.compile(r"(?<![\w.-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w-])"
                    r"|(?<![\w.-])(?:\+44\s?|0)\d{2,4}\s\d{3,4}\s\d{3,4}(?![\w-])")
_FAX_CUE = re.compile(r"\bfax\b[^.\n]{0,30}$", re.I)


def find_phones(text: str) -> Iterator[Identifier]:
    for m in _PHONE.finditer(text):
        kind = "FAX" if _FAX_CUE.search(text[max(0, m.start() - 40):m.start()]) else "PHONE"
        yield Identifier(kind, m.start(), m.end())


_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL = re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>\"')\]]+"
                  r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|edu|gov|io|health|info|nhs\.uk|co\.uk)(?:/[^\s<>\"')\]]*)?(?![\w@])",
                  re.I)


def find_contacts(text: str) -> Iterator[Identifier]:
    emails = [(m.start(), m.end()) for m in _EMAIL.finditer(text)]
    for s, e in emails:
        yield Identifier("EMAIL", s, e)
    for m in _URL.finditer(text):
        end = m.end()
        while end > m.start() and text[end - 1] in ".,;:!?":
            end -= 1
        if not any(s <= m.start() < e for s, e in emails):
            yield Identifier("URL", m.start(), end)


_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])", re.I)


def find_ips(text: str) -> Iterator[Identifier]:
    for pattern in (_IPV4, _IPV6):
        for m in pattern.finditer(text):
            try:
                ipaddress.ip_address(m.group())
            except ValueError:
                continue
            yield Identifier("IP", m.start(), m.end())


# -- addresses and postcodes -------------------------------------------------------------------

_STREET_TYPES = (r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Court|Ct|Boulevard|Blvd|Place|Pl|"
                 r"Way|Close|Row|Crescent|Cres|Terrace|Terr|Walk|Heights|Gardens|Gdns|Square|Sq|"
                 r"Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Mews|Grove|Hill|Park|View|Green)")
_UNIT = r"(?:,?\s+(?:Apt|Apartment|Unit|Suite|Ste|Flat|Room|#)\.?\s*#?\w+)?"
_STREET = re.compile(rf"\b\d{{1,5}}[A-Za-z]?\s+(?:[A-Z][\w'.-]*\s+){{1,3}}{_STREET_TYPES}\b\.?{_UNIT}")
_STATE = (r"(?:A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI|"
          r"S[CD]|T[NX]|UT|V[AT]|W[AIVY])")
_ZIP = r"\d{5}(?:-\d{4})?"
_UK_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2})\b")
#: A town: up to three name words on one line ("Port Ellis"); a full stop ends it, so the
#: sentence after an address ("… Dunmore. Sertraline is …") is not taken for the town.
_TOWN = rf"{_TOKEN}(?:[ \t]{_TOKEN}){{0,2}}"


def find_addresses(text: str) -> Iterator[Identifier]:
    """Street lines, and the town and postcode written with them (the state stays: Safe Harbor
    keeps states)."""
    for m in _STREET.finditer(text):
        end = m.end()
        yield Identifier("ADDRESS", m.start(), end)
        rest = text[end:end + 80]
        town = re.match(rf",?\s+(?P<town>{_TOWN})(?=,?\s+(?:{_STATE}\b|{_ZIP}\b)|\s*[,.;\n]|$)", rest)
        if town and town.group("town") not in _NOT_NAMES:
            yield Identifier("ADDRESS", end + town.start("town"), end + town.end("town"))
        near = re.match(rf"(?:,?\s+{_TOWN})?,?\s+(?:{_STATE}\s+)?(?P<zip>{_ZIP})\b(?:\s+(?P<after>{_TOWN}))?", rest)
        if near:
            yield Identifier("POSTCODE", end + near.start("zip"), end + near.end("zip"))
            if near.group("after") and near.group("after") not in _NOT_NAMES:
                yield Identifier("ADDRESS", end + near.start("after"), end + near.end("after"))
    # "Springfield, IL 62704": a town before a state and ZIP, wherever it is
    for m in re.finditer(rf"(?P<town>{_TOWN}),?\s+{_STATE}\s+(?P<zip>{_ZIP})\b", text):
        if m.group("town").split()[-1] not in _NOT_NAMES:
            last = list(re.finditer(_TOKEN, m.group("town")))[-1]
            yield Identifier("ADDRESS", m.start("town") + last.start(), m.end("town"))
        yield Identifier("POSTCODE", m.start("zip"), m.end("zip"))
    for m in re.finditer(rf"\b(?:zip|postcode|postal code|post code)\s*:?\s*(?P<zip>{_ZIP}|{_UK_POSTCODE.pattern})",
                         text, re.I):
        yield Identifier("POSTCODE", m.start("zip"), m.end("zip"))
    for m in _UK_POSTCODE.finditer(text):
        yield Identifier("POSTCODE", m.start(), m.end())


# -- record numbers ----------------------------------------------------------------------------

_CODE = r"(?P<code>[A-Z0-9][A-Z0-9-]*\d[A-Z0-9-]*[A-Z0-9]|\d{3,})"
_LABELLED: list[tuple[str, str]] = [
    ("MRN", r"MRN|MR\s?#|medical record(?: number| no\.?)?|record(?: number| no\.?)?|chart(?: number| no\.?)?|"
            r"hospital (?:number|no\.?)|unit (?:number|no\.?)|patient (?:id|number|no\.?)|NHS (?:number|no\.?)"),
    ("INSURANCE", r"(?:insurance|member|policy|subscriber|group|beneficiary|plan)(?: member)?"
                  r"(?: id| number| no\.?| #)?|"
                  r"medicare(?: number| no\.?| id)?|medicaid(?: number| no\.?| id)?|health plan(?: number| no\.?)?"),
    ("ACCOUNT", r"(?:billing )?(?:account|acct)(?: number| no\.?| #)?"),
    ("LICENCE", r"(?:driver'?s )?licen[cs]e(?: number| no\.?| #)?|DEA(?:/licen[cs]e)?(?: number| no\.?)?|NPI|"
                r"DEA/licence number|certificate(?: number| no\.?)?|serial(?: number| no\.?)?|"
                r"passport(?: number| no\.?)?|vehicle|plate(?: number)?|VIN"),
    ("SSN", r"SSN|social security(?: number| no\.?)?"),
]
_LABELLED_PATTERNS = [(kind, re.compile(rf"\b(?:{label})\b\s*(?:is|:|#|no\.?|number)?\s*[:#]?\s*{_CODE}", re.I))
                      for kind, label in _LABELLED]
_SSN = re.compile(r"(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w-])")
#: Any other identifying number: five digits or more in one token (doses, lab values and gene
#: names have fewer), or letters and digits mixed in a long code.
_LONG_NUMBER = re.compile(r"(?<![\w.-])(?=[A-Z0-9-]*\d(?:[A-Z0-9-]*\d){4})[A-Z0-9][A-Z0-9-]{4,}[A-Z0-9](?![\w-])")


def find_numbers(text: str) -> Iterator[Identifier]:
    for kind, pattern in _LABELLED_PATTERNS:
        for m in pattern.finditer(text):
            yield Identifier(kind, m.start("code"), m.end("code"))
    for m in _SSN.finditer(text):
        yield Identifier("SSN", m.start(), m.end())
    for m in _LONG_NUMBER.finditer(text):
        yield Identifier("ID", m.start(), m.end())


FINDERS: tuple[Finder, ...] = (find_names, find_dates, find_ages, find_phones, find_contacts, find_ips,
                               find_addresses, find_numbers)


class PatternRedactor(Redactor):
    """Every Safe Harbor kind, by patterns: fast (no model) and the same everywhere."""

    id: ClassVar[str] = "safe-harbor"
    description: ClassVar[str] = ("names, dates (the year kept), ages over 89, phone and fax numbers, e-mail, "
                                  "addresses, postcodes, record, insurance, account and licence numbers, "
                                  "URLs and IP addresses, by patterns and cue words")

    def find(self, text: str) -> Sequence[Identifier]:
        found: list[Identifier] = []
        for finder in FINDERS:
            found.extend(finder(text))
        return _specific_first(found)


def _specific_first(found: list[Identifier]) -> list[Identifier]:
    """Where a span of a specific kind covers a generic number (``ID``), the specific kind stays."""
    specific = [(i.start, i.end) for i in found if i.kind != "ID"]
    return [i for i in found if i.kind != "ID" or not any(s <= i.start and i.end <= e for s, e in specific)]
