"""Writes the synthetic clinical notes that measure redaction (issue 15).

    python data/eval/make_clinical_notes.py        # rewrites clinical_notes_{dev,test}.jsonl

Every note is made up: the people, places and numbers come from the lists below, drawn with a
fixed seed, and the medical sentences restate textbook facts. Each note plants identifiers of
the HIPAA Safe Harbor kinds at known character offsets (the gold) and states medical facts from
the bundled vocabularies.

The two sets share no template, no name list, no street or city list and no identifier layout:
the **dev** set is for error analysis while the redactor is written; the **test** set is written
from the second half of this file, frozen, and only its figures are looked at. A redactor fitted
to the dev set's phrasing, names or number formats shows it on the test set.

Each line of the output: ``id``, ``title``, ``text`` and ``clinical: true`` (what ``ontomed
build`` reads), ``identifiers`` (kind, start, end, text: offsets into ``text``),
``title_identifiers`` (the same, into ``title``), ``clean_text`` and ``clean_title`` (the note
with every identifier replaced by the placeholder of its kind, dates keeping their year: what a
perfect redactor writes), and ``id_is_identifier`` (the record id is a medical record number).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
SEED = 15

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


# -- what each split draws from ------------------------------------------------------------------

class Split:
    """The word lists, identifier formats and templates of one split."""

    def __init__(self, name: str, *, first: list[str], last: list[str], streets: list[str],
                 cities: list[tuple[str, str]], date_formats: list[Callable[[random.Random], tuple[str, str | None]]],
                 ident: dict[str, Callable[[random.Random], str]], templates: dict[str, list[str]],
                 facts: list[str]) -> None:
        self.name, self.first, self.last, self.streets, self.cities = name, first, last, streets, cities
        self.date_formats, self.ident, self.templates, self.facts = date_formats, ident, templates, facts


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(n))


def _date_parts(rng: random.Random) -> tuple[int, int, int]:
    return rng.randint(1, 12), rng.randint(1, 28), rng.randint(2008, 2024)


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


# dev: US-style slashes, long month names, ISO
def _dev_dates() -> list[Callable[[random.Random], tuple[str, str | None]]]:
    def slash(rng):
        m, d, y = _date_parts(rng)
        return f"{m:02d}/{d:02d}/{y}", str(y)

    def long_us(rng):
        m, d, y = _date_parts(rng)
        return f"{MONTHS[m - 1]} {d}, {y}", str(y)

    def iso(rng):
        m, d, y = _date_parts(rng)
        return f"{y}-{m:02d}-{d:02d}", str(y)

    def short_slash(rng):
        m, d, y = _date_parts(rng)
        return f"{m}/{d}/{y}", str(y)

    return [slash, long_us, iso, short_slash]


# test: European order, abbreviated months, ordinals, dots, no year
def _test_dates() -> list[Callable[[random.Random], tuple[str, str | None]]]:
    def day_month(rng):
        m, d, y = _date_parts(rng)
        return f"{d} {MONTHS[m - 1]} {y}", str(y)

    def abbreviated(rng):
        m, d, y = _date_parts(rng)
        return f"{d:02d}-{MONTHS[m - 1][:3]}-{y}", str(y)

    def ordinal(rng):
        m, d, y = _date_parts(rng)
        return f"the {_ordinal(d)} of {MONTHS[m - 1]} {y}", str(y)

    def dotted(rng):
        m, d, y = _date_parts(rng)
        return f"{d:02d}.{m:02d}.{y}", str(y)

    def month_abbrev_us(rng):
        m, d, y = _date_parts(rng)
        return f"{MONTHS[m - 1][:3]}. {_ordinal(d)}, {y}", str(y)

    def no_year(rng):
        m, d, _ = _date_parts(rng)
        return f"{MONTHS[m - 1]} {d}", None

    return [day_month, abbreviated, ordinal, dotted, month_abbrev_us, no_year]


DEV_IDENT: dict[str, Callable[[random.Random], str]] = {
    "PHONE": lambda r: rng_choice(r, [f"({_digits(r, 3)}) {_digits(r, 3)}-{_digits(r, 4)}",
                                      f"{_digits(r, 3)}-{_digits(r, 3)}-{_digits(r, 4)}"]),
    "FAX": lambda r: f"({_digits(r, 3)}) {_digits(r, 3)}-{_digits(r, 4)}",
    "MRN": lambda r: _digits(r, 8),
    "INSURANCE": lambda r: f"{_letters(r, 3)}{_digits(r, 9)}",
    "ACCOUNT": lambda r: f"{_digits(r, 4)}-{_digits(r, 6)}",
    "LICENCE": lambda r: f"{_letters(r, 1)}{_digits(r, 7)}",
    "SSN": lambda r: f"{_digits(r, 3)}-{_digits(r, 2)}-{_digits(r, 4)}",
    "POSTCODE": lambda r: _digits(r, 5),
    "IP": lambda r: f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
}

TEST_IDENT: dict[str, Callable[[random.Random], str]] = {
    "PHONE": lambda r: rng_choice(r, [f"+1 {_digits(r, 3)} {_digits(r, 3)} {_digits(r, 4)}",
                                      f"{_digits(r, 3)}.{_digits(r, 3)}.{_digits(r, 4)}",
                                      f"0{_digits(r, 2)} {_digits(r, 4)} {_digits(r, 4)}"]),
    "FAX": lambda r: f"{_digits(r, 3)}.{_digits(r, 3)}.{_digits(r, 4)}",
    "MRN": lambda r: f"{_letters(r, 2)}-{_digits(r, 6)}",
    "INSURANCE": lambda r: f"{_digits(r, 1)}{_letters(r, 2)}{_digits(r, 1)}-{_letters(r, 2)}{_digits(r, 1)}-{_letters(r, 2)}{_digits(r, 2)}",
    "ACCOUNT": lambda r: f"{_digits(r, 10)}",
    "LICENCE": lambda r: f"{_letters(r, 2)}{_digits(r, 7)}",
    "SSN": lambda r: f"{_digits(r, 3)} {_digits(r, 2)} {_digits(r, 4)}",
    "POSTCODE": lambda r: rng_choice(r, [f"{_digits(r, 5)}-{_digits(r, 4)}",
                                         f"{_letters(r, 2)}{r.randint(1, 9)} {r.randint(1, 9)}{_letters(r, 2)}"]),
    "IP": lambda r: rng_choice(r, [f"172.{r.randint(16, 31)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
                                   f"fe80::{r.randint(4096, 65535):x}:{r.randint(4096, 65535):x}"]),
}


def rng_choice(rng: random.Random, options: list[str]) -> str:
    return rng.choice(options)


DEV = Split(
    "dev",
    first=["James", "Mary", "Robert", "Patricia", "Michael", "Linda", "William", "Barbara", "David",
           "Susan", "Richard", "Karen", "Joseph", "Nancy", "Thomas", "Lisa", "Daniel", "Sandra",
           "Matthew", "Ashley", "Anthony", "Emily", "Mark", "Donna", "Steven", "Michelle", "Paul",
           "Carol", "Andrew", "Amanda", "Kevin", "Melissa", "Brian", "Deborah", "George", "Laura"],
    last=["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
          "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Taylor", "Moore",
          "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson",
          "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores"],
    streets=["Maple Avenue", "Oak Street", "Cedar Lane", "Pine Road", "Elm Street", "Washington Boulevard",
             "Lakeview Drive", "Sunset Court", "Highland Avenue", "Park Place", "River Road", "Hillcrest Drive"],
    cities=[("Springfield", "IL"), ("Riverside", "CA"), ("Franklin", "TN"), ("Greenville", "SC"),
            ("Bristol", "CT"), ("Clinton", "MA"), ("Fairview", "OR"), ("Madison", "WI")],
    date_formats=_dev_dates(),
    ident=DEV_IDENT,
    templates={
        "header": ["Discharge summary for {PATIENT}, admitted {DATE}",
                   "Clinic note: {PATIENT} ({DATE})",
                   "Progress note - {PATIENT_LAST}, {PATIENT_FIRST} - {DATE}",
                   "Consultation {DATE}: {PATIENT}"],
        "demographics": ["Patient: {PATIENT}. DOB: {DATE}. MRN: {MRN}.",
                         "Name: {PATIENT}   Date of birth: {DATE}   Medical record number: {MRN}",
                         "{PATIENT} is a {AGE90}-year-old {SEX} (MRN {MRN}) seen on {DATE}.",
                         "Mr./Ms. {PATIENT_LAST}, a {AGE}-year-old {SEX}, MRN {MRN}, admitted on {DATE}.",
                         "Patient name: {PATIENT}; age: {AGE90}; MRN: {MRN}; admission date: {DATE}."],
        "contact": ["Address: {ADDRESS}, {CITY}, {STATE} {POSTCODE}. Phone: {PHONE}.",
                    "Lives at {ADDRESS}, {CITY}, {STATE} {POSTCODE}; home phone {PHONE}.",
                    "Contact: {PHONE} (home), e-mail {EMAIL}.",
                    "Home address {ADDRESS}, {CITY} {STATE} {POSTCODE}. Cell: {PHONE}."],
        "ids": ["Insurance member ID: {INSURANCE}.", "Account number: {ACCOUNT}.",
                "Driver's license: {LICENCE}.", "SSN: {SSN}.", "Patient portal: {URL}",
                "Device IP address: {IP}.", "Fax results to {FAX}.", "E-mail: {EMAIL}."],
        "family": ["Her husband, {RELATIVE}, is the emergency contact ({PHONE}).",
                   "Emergency contact: {RELATIVE} (son), phone {PHONE}.",
                   "Accompanied by his daughter {RELATIVE}.",
                   "His wife {RELATIVE} reports that he has been more forgetful."],
        "plan": ["Follow-up with Dr. {DOCTOR_LAST} on {DATE}.",
                 "Return to clinic on {DATE}; call {PHONE} with questions.",
                 "Referred to Dr. {DOCTOR} in cardiology; appointment {DATE}.",
                 "Labs to be repeated on {DATE}."],
        "signature": ["Electronically signed by {DOCTOR}, MD on {DATE}.",
                      "Attending physician: Dr. {DOCTOR}",
                      "Dictated by {DOCTOR}, MD. Transcribed {DATE}.",
                      "Seen with {NURSE}, RN. Signed: Dr. {DOCTOR_LAST}."],
    },
    facts=["Metformin was prescribed for type 2 diabetes.",
           "Lisinopril is used to treat hypertension.",
           "She developed a dry cough after starting lisinopril.",
           "Atorvastatin was started for hypercholesterolemia.",
           "Warfarin is indicated for atrial fibrillation.",
           "Levothyroxine is used to treat hypothyroidism.",
           "Levodopa improves the tremor of Parkinson's disease.",
           "Imatinib is indicated for chronic myeloid leukemia.",
           "Albuterol relieves wheezing in asthma.",
           "Methimazole is used to treat Graves' disease.",
           "Hydrocortisone is prescribed for Addison's disease.",
           "Influenza presents with fever and myalgia.",
           "Allopurinol is used to prevent gout.",
           "Diarrhea is a common side effect of metformin.",
           "Fatigue is a symptom of hypothyroidism.",
           "Donepezil is used to treat Alzheimer's disease."],
)

TEST = Split(
    "test",
    first=["Aoife", "Tomasz", "Ingrid", "Kwame", "Priya", "Mateo", "Yuki", "Olusegun", "Fatima",
           "Henrik", "Leilani", "Dmitri", "Siobhan", "Rafael", "Mei", "Bartholomew", "Zainab",
           "Florian", "Ngozi", "Ciaran", "Esperanza", "Anand", "Marguerite", "Tobias", "Ravi",
           "Beatriz", "Casimir", "Imogen", "Wendell", "Rosalind", "Ezekiel", "Noor"],
    last=["O'Sullivan", "Kowalczyk", "Lindqvist", "Mensah", "Raghunathan", "Delgado-Ruiz",
          "Takahashi", "Adeyemi", "Haddad", "Johansson", "Kahananui", "Volkov", "McAllister",
          "Carvalho", "Zhang", "Fairweather", "Okonkwo", "Brandt", "Eze", "Gallagher", "Quintero",
          "Bhattacharya", "Duchamp", "Weiss", "Iyer", "Moreau", "Nowicki", "Ashworth", "Pemberton",
          "Underwood", "Abernathy", "Rahimi"],
    streets=["Bramble Close", "Harbour Row", "Juniper Crescent", "Old Mill Way", "St. Agnes Terrace",
             "Wharf Lane", "Kingfisher Walk", "Cobalt Heights", "Meadowsweet Gardens", "Quarry Hill Rd"],
    cities=[("Dunmore", "PA"), ("Harrogate", "NY"), ("Port Ellis", "ME"), ("Castleton", "VT"),
            ("Wexford", "PA"), ("Tillamook", "OR"), ("Ashby", "MN"), ("Kilmarnock", "VA")],
    date_formats=_test_dates(),
    ident=TEST_IDENT,
    templates={
        "header": ["ED visit {DATE} - {PATIENT_FIRST} {PATIENT_LAST}",
                   "Letter re: {PATIENT}, seen {DATE}",
                   "{PATIENT} - outpatient review - {DATE}",
                   "Admission H&P, {PATIENT}"],
        "demographics": ["Re: {PATIENT} (born {DATE}), hospital no. {MRN}",
                         "Seen today: {PATIENT}, {AGE90} years old, record {MRN}.",
                         "I reviewed {PATIENT_FIRST} {PATIENT_LAST} in clinic on {DATE}; chart #{MRN}.",
                         "{PATIENT_FIRST}, aged {AGE90}, was brought in on {DATE} (unit number {MRN}).",
                         "Our {AGE}-year-old {SEX}, {PATIENT}, MR# {MRN}, returns on {DATE}."],
        "contact": ["Resides at {ADDRESS}, {CITY}, {STATE} {POSTCODE} and can be reached on {PHONE}.",
                    "Tel {PHONE}; mailing address {ADDRESS}, {CITY} {POSTCODE}.",
                    "Reachable at {EMAIL} or by mobile {PHONE}.",
                    "Usual residence: {ADDRESS}, {POSTCODE} {CITY}."],
        "ids": ["Medicare no. {INSURANCE}.", "Billing acct {ACCOUNT}.",
                "DEA/licence number {LICENCE}.", "Social security number {SSN}.",
                "Images uploaded to {URL} today.", "Telemetry streamed from host {IP}.",
                "Please send the report by fax on {FAX}.", "She prefers contact via {EMAIL}."],
        "family": ["Next of kin is her partner {RELATIVE}, who can be reached on {PHONE}.",
                   "{RELATIVE} (sister) was present for the discussion.",
                   "History obtained from the patient's niece, {RELATIVE}.",
                   "The patient's father {RELATIVE} had a stroke at 60."],
        "plan": ["Review in the clinic of Prof. {DOCTOR_LAST} around {DATE}.",
                 "To see Mr {DOCTOR_LAST}, consultant surgeon, in six weeks.",
                 "Plan discussed with {DOCTOR}, the on-call registrar.",
                 "Next INR check {DATE}; results to {NURSE} (anticoagulation nurse)."],
        "signature": ["Yours sincerely, {DOCTOR}, Consultant Physician",
                      "-- {DOCTOR} (NP), {DATE}",
                      "Note authored by {NURSE}, PA-C; cosigned by Dr {DOCTOR_LAST}",
                      "cc: Dr {DOCTOR_LAST}; {NURSE}, practice nurse"],
    },
    facts=["She has been treated with insulin for type 1 diabetes since childhood.",
           "Amlodipine was given for hypertension.",
           "Simvastatin caused myalgia, so it was stopped.",
           "Apixaban is used for atrial fibrillation.",
           "Methotrexate is indicated for rheumatoid arthritis.",
           "Oseltamivir is used to treat influenza.",
           "Prednisone is used to treat Crohn's disease.",
           "Sertraline is indicated for depression.",
           "Furosemide relieves edema in heart failure.",
           "Amoxicillin is used to treat pneumonia.",
           "Pneumonia presents with cough and fever.",
           "Constipation is a side effect of morphine.",
           "Tremor is a symptom of Parkinson's disease.",
           "Levothyroxine is indicated for Hashimoto's thyroiditis.",
           "Ibuprofen can cause nausea.",
           "Colchicine is used to treat gout."],
)

NAME_SLOTS = {"PATIENT", "PATIENT_FIRST", "PATIENT_LAST", "RELATIVE", "DOCTOR", "DOCTOR_LAST", "NURSE"}
PLAIN_SLOTS = {"PHONE", "FAX", "MRN", "INSURANCE", "ACCOUNT", "LICENCE", "SSN", "POSTCODE", "IP"}
SLOT = re.compile(r"\{([A-Z_0-9]+)\}")


# -- one note -----------------------------------------------------------------------------------

class Note:
    def __init__(self, split: Split, rng: random.Random) -> None:
        self.split, self.rng = split, rng
        self.patient = (rng.choice(split.first), rng.choice(split.last))
        self.doctor = (rng.choice(split.first), rng.choice(split.last))
        self.sex = rng.choice(["man", "woman"])
        self.city, self.state = rng.choice(split.cities)

    def value(self, slot: str) -> tuple[str, str | None, str]:
        """(text, kind or None for no identifier, what a perfect redactor writes instead)."""
        rng, split = self.rng, self.split
        if slot in NAME_SLOTS:
            text = {"PATIENT": " ".join(self.patient), "PATIENT_FIRST": self.patient[0],
                    "PATIENT_LAST": self.patient[1], "DOCTOR": " ".join(self.doctor),
                    "DOCTOR_LAST": self.doctor[1],
                    "RELATIVE": f"{rng.choice(split.first)} {rng.choice([self.patient[1], rng.choice(split.last)])}",
                    "NURSE": f"{rng.choice(split.first)} {rng.choice(split.last)}"}[slot]
            return text, "NAME", "[NAME]"
        if slot == "DATE":
            text, year = rng.choice(split.date_formats)(rng)
            return text, "DATE", f"[DATE] {year}" if year else "[DATE]"
        if slot == "AGE90":
            return str(rng.randint(90, 104)), "AGE", "[AGE 90+]"
        if slot == "AGE":  # not an identifier: ages up to 89 stay
            age = str(rng.randint(23, 89))
            return age, None, age
        if slot == "SEX":
            return self.sex, None, self.sex
        if slot == "CITY":
            return self.city, "ADDRESS", "[ADDRESS]"
        if slot == "STATE":  # a state is not a Safe Harbor identifier
            return self.state, None, self.state
        if slot == "ADDRESS":
            number = str(rng.randint(2, 4800))
            unit = rng.choice(["", "", f", Apt {rng.randint(1, 30)}{rng.choice('ABC')}"]) if split.name == "dev" \
                else rng.choice(["", "", f" Flat {rng.randint(1, 12)}"])
            return f"{number} {rng.choice(split.streets)}{unit}", "ADDRESS", "[ADDRESS]"
        if slot == "EMAIL":
            first, last = (s.lower().replace("'", "") for s in self.patient)
            domain = rng.choice(["mail.example.com", "inbox.example.net", "post.example.org"])
            return rng.choice([f"{first}.{last}@{domain}", f"{first[0]}{last}{rng.randint(1, 99)}@{domain}"]), \
                "EMAIL", "[EMAIL]"
        if slot == "URL":
            path = "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(8))
            if split.name == "dev":
                return f"https://portal.example-health.org/patients/{path}", "URL", "[URL]"
            return f"www.myclinic.example.net/records?id={path}", "URL", "[URL]"
        if slot in PLAIN_SLOTS:
            return split.ident[slot](rng), slot, f"[{slot}]"
        raise KeyError(slot)

    def render(self, template: str) -> tuple[str, str, list[dict]]:
        """(text, clean text, identifier spans) of one template."""
        out, clean, spans, pos = [], [], [], 0
        length = 0
        for m in SLOT.finditer(template):
            literal = template[pos:m.start()]
            out.append(literal)
            clean.append(literal)
            length += len(literal)
            text, kind, placeholder = self.value(m.group(1))
            if kind:
                spans.append({"kind": kind, "start": length, "end": length + len(text), "text": text})
            out.append(text)
            clean.append(placeholder)
            length += len(text)
            pos = m.end()
        out.append(template[pos:])
        clean.append(template[pos:])
        return "".join(out), "".join(clean), spans


def make_note(split: Split, number: int, rng: random.Random) -> dict:
    note = Note(split, rng)
    t = split.templates
    title, clean_title, title_spans = note.render(rng.choice(t["header"]))
    parts = [rng.choice(t["demographics"]), rng.choice(t["contact"])]
    facts = rng.sample(split.facts, 3)
    parts += [facts[0], rng.choice(t["family"]), facts[1], *rng.sample(t["ids"], rng.randint(2, 4)),
              facts[2], rng.choice(t["plan"]), rng.choice(t["signature"])]
    text, clean, spans = "", "", []
    for i, part in enumerate(parts):
        sep = "" if i == 0 else rng.choice([" ", "\n"])
        rendered, rendered_clean, part_spans = note.render(part)
        offset = len(text) + len(sep)
        spans += [{**s, "start": s["start"] + offset, "end": s["end"] + offset} for s in part_spans]
        text += sep + rendered
        clean += sep + rendered_clean
    record_id = split.ident["MRN"](rng)
    for s in spans:
        assert text[s["start"]:s["end"]] == s["text"], s
    return {"id": record_id, "title": title, "text": text, "clinical": True,
            "note": f"{split.name}-{number:03d}", "id_is_identifier": True,
            "identifiers": spans, "title_identifiers": title_spans,
            "clean_text": clean, "clean_title": clean_title}


def make_split(split: Split, count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [make_note(split, i + 1, rng) for i in range(count)]


def main() -> None:
    for split, seed in ((DEV, SEED), (TEST, SEED + 1)):
        notes = make_split(split, 80, seed)
        path = HERE / f"clinical_notes_{split.name}.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for n in notes:
                f.write(json.dumps(n, ensure_ascii=False) + "\n")
        kinds: dict[str, int] = {}
        for n in notes:
            for s in n["identifiers"] + n["title_identifiers"]:
                kinds[s["kind"]] = kinds.get(s["kind"], 0) + 1
        print(f"{path.name}: {len(notes)} notes; identifiers {dict(sorted(kinds.items()))}")


if __name__ == "__main__":
    main()
