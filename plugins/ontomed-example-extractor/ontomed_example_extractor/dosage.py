"""Doses in clinical text: "metformin 500 mg orally twice daily for 7 days".

A dose is an amount with a unit ("500 mg", "0.5-1 g", "10 mg/kg", "2 puffs"),
then any of a route ("orally", "IV"), a frequency ("twice daily", "q8h",
"every other day"), "as needed" and a duration ("for 7 days"), in any order,
joined by spaces, commas or "taken"/"given". The whole phrase becomes one
:class:`DosageMention` with the parts normalised, so that "b.i.d.", "BID" and
"twice a day" all read ``frequency="twice daily", times_per_day=2``.

Concentrations ("5 mg/dL", "250 mg/5 mL") are lab values or formulation
strengths, not doses, and are left alone; so are numbers inside words and
amounts without a unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from ontomed import Extraction, Extractor, Mention

__all__ = ["DosageExtractor", "DosageMention", "find_doses"]


@dataclass(frozen=True, kw_only=True)
class DosageMention(Mention):
    """A dose, with its parts normalised. Still a :class:`~ontomed.Mention`, so
    everything that handles mentions handles it; ``to_dict`` adds the parts."""

    value: float
    value_max: float | None = None  # the top of a range ("1-2 tablets")
    unit: str
    route: str | None = None
    frequency: str | None = None
    times_per_day: float | None = None  # for a range ("every 4-6 hours"), the most frequent
    as_needed: bool = False
    duration_days: float | None = None

    @property
    def milligrams(self) -> float | None:
        """The amount in mg when the unit is a plain mass (g, mg, mcg, ng), else None."""
        factor = _TO_MG.get(self.unit)
        return None if factor is None else self.value * factor

    @property
    def daily_milligrams(self) -> float | None:
        """mg per day, when both the mass and the frequency are known."""
        mg = self.milligrams
        return None if mg is None or self.times_per_day is None else mg * self.times_per_day

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "value": self.value, "value_max": self.value_max,
                "unit": self.unit, "route": self.route, "frequency": self.frequency,
                "times_per_day": self.times_per_day, "as_needed": self.as_needed,
                "duration_days": self.duration_days}


# -- the vocabulary ----------------------------------------------------------------------
# Each table: canonical form → alternatives (regular expressions, matched case-insensitively).

_UNITS: dict[str, str] = {
    "mg": r"mgs?|milligrams?",
    "g": r"g|gm|grams?",
    "mcg": r"mcg|[µμu]g|micrograms?",
    "ng": r"ng|nanograms?",
    "mL": r"ml|millilit(?:er|re)s?|cc",
    "L": r"lit(?:er|re)s?",
    "IU": r"iu|international units?",
    "units": r"units?",
    "mmol": r"mmol",
    "mEq": r"meq",
    "tablet": r"tablets?|tabs?",
    "capsule": r"capsules?|caps?",
    "puff": r"puffs?|inhalations?",
    "drop": r"drops?|gtts?",
}
_TO_MG = {"mg": 1.0, "g": 1000.0, "mcg": 0.001, "ng": 0.000001}
_COUNTABLE = {"tablet", "capsule", "puff", "drop"}
_NUMBER_WORDS = {"half": 0.5, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "eight": 8, "nine": 9, "ten": 10}

_ROUTES: dict[str, str] = {
    "oral": r"orally|by mouth|per os|p\.?o\.?|oral",
    "intravenous": r"intravenous(?:ly)?|i\.?v\.?",
    "intramuscular": r"intramuscular(?:ly)?|i\.?m\.?",
    "subcutaneous": r"subcutaneous(?:ly)?|subcut|s\.?c\.?|sub-?q",
    "sublingual": r"sublingual(?:ly)?|s\.?l\.?",
    "topical": r"topical(?:ly)?",
    "inhaled": r"inhaled|by inhalation|via (?:an )?inhaler",
    "rectal": r"rectal(?:ly)?|per rectum|p\.?r\.?",
    "intranasal": r"intranasal(?:ly)?|nasally",
}

_TIMES = {"once": 1, "twice": 2, "thrice": 3, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
          "six": 6}
_PER_DAY = r"(?:daily|a day|per day|each day|every day|/day|/d)"
# (pattern, canonical frequency or None to build it from the match, times per day)
_FREQUENCIES: tuple[tuple[str, str | None, float | None], ...] = (
    (r"(?:once|one time)\s+(?:a |per )?week(?:ly)?|weekly|every week|q\.?w(?:k|eek)?\.?", "once weekly", 1 / 7),
    (r"(?:twice|two times)\s+(?:a |per )?week(?:ly)?", "twice weekly", 2 / 7),
    (r"every other day|on alternate days|q\.?o\.?d\.?", "every other day", 0.5),
    (r"(?:once|one time)\s+(?:a |per )?month|monthly|every month", "once monthly", 12 / 365),
    (r"every (?P<weeks>\d+) weeks", None, None),
    (r"(?:every|q\.?)\s*(?P<hours>\d+)(?:\s*(?:-|–|to)\s*(?P<hours_max>\d+))?\s*(?:h|hr|hrs|hours?)\b\.?",
     None, None),
    (rf"(?P<times>once|twice|thrice|one|two|three|four|five|six|\d+)(?:\s+times?)?\s+{_PER_DAY}", None, None),
    (r"/\s*d(?:ay)?|per day", "per day", 1.0),  # a daily total ("2 g/day"), maybe in divided doses
    (r"q\.?d\.?|q\.?day|daily|every day|each day|a day", "once daily", 1.0),
    (r"b\.?i\.?d\.?|b\.?d\.?", "twice daily", 2.0),
    (r"t\.?i\.?d\.?|t\.?d\.?s\.?", "three times daily", 3.0),
    (r"q\.?i\.?d\.?|q\.?d\.?s\.?", "four times daily", 4.0),
    (r"at bedtime|at night|nightly|every night|q\.?h\.?s\.?", "at bedtime", 1.0),
    (r"in the morning|every morning|q\.?a\.?m\.?", "every morning", 1.0),
    (r"once|(?:as )?a single dose", "single dose", None),
)
_AS_NEEDED = r"as needed|as required|when required|if needed|p\.?r\.?n\.?"
_DURATION = r"(?:for|x|×)\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<span>days?|weeks?|months?)"
_SPAN_DAYS = {"day": 1, "week": 7, "month": 30}


def _alternatives(table: dict[str, str]) -> str:
    return "|".join(f"(?P<{_group(key)}>{pattern})" for key, pattern in table.items())


def _group(key: str) -> str:
    return "k_" + re.sub(r"\W", "_", key)


_NUMBER = r"\d+(?:,\d{3})*(?:[.,]\d+)?"
_AMOUNT = re.compile(
    rf"(?<![\w.,/-])(?P<value>{_NUMBER}|{'|'.join(_NUMBER_WORDS)})"
    rf"(?:\s*(?:-|–|to)\s*(?P<value_max>{_NUMBER}))?"
    rf"\s*(?P<unit>{_alternatives(_UNITS)})"
    r"(?:\s*(?:/|per\s+)(?P<per>kg|m2|m²))?"
    r"(?:\s*/\s*(?P<rate>h|hr|min))?"
    r"(?!\w)(?!\s*/\s*(?:\d+(?:\.\d+)?\s*)?(?:dl|l|ml)\b)",  # no longer word; no concentration (mg/dL, mg/5 mL)
    re.IGNORECASE,
)
_JOIN = re.compile(r"(?:\s*,)?\s*(?:(?:taken|given|administered|and|then)\s+)?", re.IGNORECASE)
_ROUTE = re.compile(rf"(?:{_alternatives(_ROUTES)})(?![\w])", re.IGNORECASE)
_FREQUENCY = [(re.compile(rf"(?:{p})(?![\w])", re.IGNORECASE), name, per_day) for p, name, per_day in _FREQUENCIES]
_AS_NEEDED_RX = re.compile(rf"(?:{_AS_NEEDED})(?![\w])", re.IGNORECASE)
_DOTTED = re.compile(r"(?:\b[a-z]\.){2,}$", re.IGNORECASE)
_DURATION_RX = re.compile(rf"{_DURATION}(?![\w])", re.IGNORECASE)


def _number(text: str) -> float:
    word = _NUMBER_WORDS.get(text.lower())
    if word is not None:
        return float(word)
    if re.fullmatch(r"\d+,\d{3}(?:,\d{3})*(?:\.\d+)?", text):
        return float(text.replace(",", ""))  # 1,000 mg
    return float(text.replace(",", "."))  # 2,5 mg (a decimal comma)


def _canonical(match: re.Match[str], table: dict[str, str]) -> str:
    return next(key for key in table if match.group(_group(key)) is not None)


def _frequency(text: str, pos: int) -> tuple[int, str, float | None] | None:
    for rx, name, per_day in _FREQUENCY:
        m = rx.match(text, pos)
        if not m:
            continue
        groups = m.groupdict()
        if groups.get("hours"):
            hours = int(groups["hours"])
            if hours == 0:
                return None
            upto = f"-{int(groups['hours_max'])}" if groups.get("hours_max") else ""
            return m.end(), f"every {hours}{upto} hours", 24 / hours  # a range: its most frequent
        if groups.get("weeks"):
            weeks = int(groups["weeks"])
            return (m.end(), f"every {weeks} weeks", 1 / (7 * weeks)) if weeks else None
        if groups.get("times"):
            word = groups["times"].lower()
            times = _TIMES.get(word) or int(word)
            names = {1: "once daily", 2: "twice daily", 3: "three times daily", 4: "four times daily"}
            return m.end(), names.get(times, f"{times} times daily"), float(times)
        assert name is not None
        return m.end(), name, per_day
    return None


def find_doses(text: str) -> list[DosageMention]:
    """Every dose in ``text``, left to right, with its parts normalised."""
    found: list[DosageMention] = []
    for m in _AMOUNT.finditer(text):
        unit = _canonical(m, _UNITS)
        value_text = m.group("value")
        if value_text.lower() in _NUMBER_WORDS and unit not in _COUNTABLE:
            continue  # "one gram" is rare; "one g" is noise
        if m.group("per"):
            unit += "/kg" if m.group("per").lower() == "kg" else "/m2"
        if m.group("rate"):
            unit += "/min" if m.group("rate").lower() == "min" else "/h"
        parts: dict[str, Any] = {}
        end = m.end()
        while True:
            join = _JOIN.match(text, end)
            pos = join.end() if join else end
            if "route" not in parts and (r := _ROUTE.match(text, pos)):
                parts["route"], end = _canonical(r, _ROUTES), r.end()
            elif "frequency" not in parts and (f := _frequency(text, pos)):
                end, parts["frequency"], parts["times_per_day"] = f
            elif "as_needed" not in parts and (a := _AS_NEEDED_RX.match(text, pos)):
                parts["as_needed"], end = True, a.end()
            elif "duration_days" not in parts and (d := _DURATION_RX.match(text, pos)):
                span = d.group("span").lower().rstrip("s")
                parts["duration_days"], end = float(d.group("n")) * _SPAN_DAYS[span], d.end()
            else:
                break
        start = m.start()
        if text[end - 1] == "." and not _DOTTED.search(text, start, end):
            end -= 1  # a sentence's full stop, not the last dot of "b.i.d."
        confidence = min(0.95, 0.7 + 0.1 * sum(k in parts for k in ("route", "frequency", "duration_days",
                                                                       "as_needed")))
        found.append(DosageMention(
            text[start:end], "Dosage", start, end, round(confidence, 2),
            value=_number(value_text),
            value_max=_number(m.group("value_max")) if m.group("value_max") else None,
            unit=unit, **parts))
    return found


class DosageExtractor(Extractor):
    """Doses ("500 mg orally twice daily") as ``Dosage`` mentions with normalised parts."""

    id: ClassVar[str] = "dosage"
    description: ClassVar[str] = "doses: amount, unit, route, frequency and duration, normalised"
    entity_types: ClassVar[tuple[str, ...]] = ("Dosage",)

    def extract(self, text: str) -> Extraction:
        return Extraction(self.id, tuple(find_doses(text)))
