"""Run the OWL API, the library Protégé is built on, over an ontology file.

rdflib and owlready2 accept RDF that Protégé reads differently (undeclared entities, triples
it cannot map to axioms) or rejects as outside OWL 2 DL. The contract (architecture.md §2) is that the
shipped files load in the OWL API with zero unparsed triples and zero OWL 2 DL violations, so
tests ask the OWL API itself: ``tests/owlapi/OwlApiCheck.java``, compiled once against
Debian's ``libowlapi-java`` (OWL API 5.1.20) and cached in the temp directory.

    from tests.owlapi_check import owlapi_check
    report = owlapi_check("ontologies/ontomed.owl")
    assert report["unparsed_triples"] == 0 and report["dl_violations"] == 0

A plain module, not a test file: ``owlapi_available()`` says whether Java and the jars are
here, ``owlapi_check(path)`` returns the JSON report as a dict, and ``requires_owlapi`` is a
pytest mark that skips a test when the OWL API cannot run.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .needs import requires

SOURCE = Path(__file__).resolve().parent / "owlapi" / "OwlApiCheck.java"
MAIN_CLASS = "OwlApiCheck"

#: Where Debian installs jars; OWLAPI_JARS_DIR points elsewhere (a Maven download, say).
JARS_DIR = Path(os.environ.get("OWLAPI_JARS_DIR", "/usr/share/java"))

#: OWL API 5.1.20 as Debian ships it, and what it needs at run time (the Depends of
#: libowlapi-java, narrowed to the jars its classes load). owlapi-distribution bundles every
#: OWL API module, including the Rio parsers (hence rdf4j) and JSON-LD (hence jackson,
#: jsonld-java and Apache httpclient). slf4j-nop silences the OWL API's logging; without a
#: binding SLF4J prints a warning, with slf4j-simple every parser attempt logs to stderr.
OWLAPI_JARS = (
    "owlapi-distribution.jar",
    "commons-rdf-api.jar",
    "guava.jar",
    "caffeine.jar",
    "hppcrt.jar",
    "atinject-jsr330-api.jar",
    "commons-io.jar",
    "commons-codec.jar",
    "xz.jar",
    "slf4j-api.jar",
    "slf4j-nop.jar",
    "jcl-over-slf4j.jar",
    "jackson-core.jar",
    "jackson-databind.jar",
    "jackson-annotations.jar",
    "jsonld-java.jar",
    "httpclient.jar",
    "httpclient-cache.jar",
    "httpcore.jar",
    "rdf4j-model-api.jar",
    "rdf4j-model.jar",
    "rdf4j-model-vocabulary.jar",
    "rdf4j-util.jar",
    "rdf4j-rio-api.jar",
    "rdf4j-rio-datatypes.jar",
    "rdf4j-rio-languages.jar",
    "rdf4j-rio-binary.jar",
    "rdf4j-rio-hdt.jar",
    "rdf4j-rio-jsonld.jar",
    "rdf4j-rio-n3.jar",
    "rdf4j-rio-nquads.jar",
    "rdf4j-rio-ntriples.jar",
    "rdf4j-rio-rdfjson.jar",
    "rdf4j-rio-rdfxml.jar",
    "rdf4j-rio-trig.jar",
    "rdf4j-rio-trix.jar",
    "rdf4j-rio-turtle.jar",
)

#: Enough for ontologies of a few hundred thousand axioms; starts fast.
JAVA_OPTIONS = ("-Xmx1g", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")


class OwlApiUnavailable(RuntimeError):
    """Java, javac or the OWL API jars are missing, or the checker does not compile."""


class OwlApiLoadError(RuntimeError):
    """The OWL API could not load the file at all (a syntax error, a missing import)."""


def _missing() -> list[str]:
    missing = [tool for tool in ("java", "javac") if shutil.which(tool) is None]
    missing += [str(JARS_DIR / jar) for jar in OWLAPI_JARS if not (JARS_DIR / jar).is_file()]
    return missing


def owlapi_available() -> bool:
    """True when java, javac and the OWL API jars are all here."""
    return not _missing()


def classpath() -> str:
    return os.pathsep.join(str(JARS_DIR / jar) for jar in OWLAPI_JARS)


@functools.lru_cache(maxsize=1)
def _compiled() -> Path:
    """The directory holding OwlApiCheck.class, compiled on first use.

    Keyed by a hash of the source and the classpath, so an edit recompiles and a rerun (or
    another test process) reuses the classes.
    """
    missing = _missing()
    if missing:
        raise OwlApiUnavailable(
            "cannot run the OWL API check, missing: "
            + ", ".join(missing)
            + " (apt-get install default-jdk-headless libowlapi-java, or set OWLAPI_JARS_DIR)"
        )
    key = hashlib.sha256(SOURCE.read_bytes() + classpath().encode()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / f"ontomed-owlapi-check-{key}"
    if (target / f"{MAIN_CLASS}.class").is_file():
        return target
    build = Path(tempfile.mkdtemp(prefix="ontomed-owlapi-build-"))
    done = subprocess.run(
        ["javac", "-nowarn", "-encoding", "UTF-8", "-d", str(build), "-cp", classpath(), str(SOURCE)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        shutil.rmtree(build, ignore_errors=True)
        raise OwlApiUnavailable(f"javac failed on {SOURCE}:\n{done.stderr.strip()}")
    try:
        build.rename(target)
    except OSError:  # another process compiled it first
        shutil.rmtree(build, ignore_errors=True)
    return target


def owlapi_check(
    path: str | os.PathLike[str], *import_dirs: str | os.PathLike[str], timeout: float = 120
) -> dict:
    """Load ``path`` with the OWL API and return its report.

    Keys: ontology_iri, version_iri, format, axioms, unparsed_triples, unparsed (first 20),
    dl_violations, violations (first 50), guessed_declarations, declared_individuals.
    Imported ontologies are looked up in the file's own directory and in ``import_dirs``.
    Raises ``OwlApiLoadError`` when the file cannot be loaded, ``OwlApiUnavailable`` when
    the OWL API cannot run here.
    """
    classes = _compiled()
    command = ["java", *JAVA_OPTIONS, "-cp", f"{classes}{os.pathsep}{classpath()}", MAIN_CLASS]
    command += [str(path), *(str(d) for d in import_dirs)]
    done = subprocess.run(
        command, capture_output=True, encoding="utf-8", errors="replace", timeout=timeout
    )
    if done.returncode == 2:
        raise OwlApiLoadError(done.stderr.strip())
    if done.returncode != 0:
        raise RuntimeError(f"OwlApiCheck exited with {done.returncode}:\n{done.stderr.strip()}")
    return json.loads(done.stdout)


# Skipped on a developer machine without the OWL API; never in CI, where .ci/run
# installs it, so a broken install there fails loudly instead of skipping.
requires_owlapi = requires(owlapi_available(), "the OWL API is not here (needs java, javac and libowlapi-java)")
