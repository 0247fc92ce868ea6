"""Backups: a consistent copy of a knowledge base, taken while it is in use if need be.

``backup(kb, DIR)`` writes a knowledge base directory at ``DIR`` (it must not
exist yet): ``DIR/store`` is Oxigraph's online backup of the store (RocksDB's
checkpoint: a consistent snapshot, hard links to the immutable table files
when ``DIR`` is on the same file system, so a backup of gigabytes takes a
moment), ``DIR/ontomed.json`` the bookkeeping (files loaded, imports), and
``DIR/backup.json`` what was backed up, when, and how many quads. The backup is
itself a knowledge base: serve or query it with ``--kb DIR``, or restore by
putting it in the original's place.

A store that ``ontomed serve`` holds cannot be opened by another process, so
a backup of it is taken by the server: ``POST /-/backup`` with the update token
runs this same function in one of its query workers, whose read-only handle
sees the store as of the last write (a write stops every reader first, so a
backup never sees half of one). ``ontomed backup`` finds the server of a
knowledge base in ``KB/serve.json``, which ``ontomed serve`` writes while it runs.

Caches (``KB/cache``, ``KB/models``) are not copied: they are rebuilt from the
store, and a trained model is saved again by ``ontomed repurpose train``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import BadInputError, StoreError

if TYPE_CHECKING:
    from ..kb import KnowledgeBase

SERVER_FILE = "serve.json"
BACKUP_FILE = "backup.json"


@dataclass(frozen=True)
class BackupReport:
    """What one backup wrote."""

    path: str
    quads: int
    seconds: float
    source: str
    ontology: str | None
    taken_at: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def check_target(target: str | os.PathLike[str]) -> Path:
    """The backup's directory, refused before any work when it exists or has no parent."""
    path = Path(target).expanduser()
    if not str(target).strip():
        raise BadInputError("give the directory to write the backup to")
    if path.exists():
        raise BadInputError(f"{path}: already exists; a backup goes to a new directory")
    if not path.parent.is_dir():
        raise BadInputError(f"{path}: no such directory {path.parent}")
    return path.resolve()


def backup(kb: KnowledgeBase, target: str | os.PathLike[str]) -> BackupReport:
    """Write a consistent copy of ``kb`` (open read-write or read-only) to the new directory ``target``."""
    from ..kb import META_FILE, STORE_DIR

    if kb.path is None:
        raise BadInputError("an in-memory knowledge base has nothing on disk to back up "
                            "(export it with ontomed export instead)")
    path = check_target(target)
    began = time.perf_counter()
    path.mkdir()
    try:
        kb.backup(str(path / STORE_DIR))
        meta = kb.path / META_FILE
        if meta.is_file():
            shutil.copy2(meta, path / META_FILE)
        report = BackupReport(str(path), len(kb), round(time.perf_counter() - began, 3),
                              str(kb.path.resolve()), kb.ontology_version(),
                              _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
        (path / BACKUP_FILE).write_text(json.dumps(report.to_dict(), indent=2), "utf-8")
    except StoreError:
        shutil.rmtree(path, ignore_errors=True)  # never leave half a backup that looks whole
        raise
    except OSError as exc:
        shutil.rmtree(path, ignore_errors=True)
        raise StoreError(f"backup to {path} failed: {exc}") from None
    return report


# -- a knowledge base held by ontomed serve ---------------------------------------------

def record_server(kb_path: str | os.PathLike[str], url: str) -> None:
    """Say, beside the knowledge base, which server holds it (``ontomed serve`` calls this)."""
    target = Path(kb_path) / SERVER_FILE
    try:
        target.write_text(json.dumps({"url": url, "pid": os.getpid()}), "utf-8")
    except OSError:
        pass  # a read-only directory: backups then need --server


def forget_server(kb_path: str | os.PathLike[str]) -> None:
    try:
        (Path(kb_path) / SERVER_FILE).unlink()
    except OSError:
        pass


def recorded_server(kb_path: str | os.PathLike[str]) -> str | None:
    """The URL of the server that said it holds the knowledge base, if it still runs."""
    try:
        data = json.loads((Path(kb_path) / SERVER_FILE).read_text("utf-8"))
        url, pid = str(data["url"]), int(data["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # a server that died without cleaning up
    except PermissionError:
        pass
    return url


def backup_through_server(url: str, target: str | os.PathLike[str], token: str | None,
                          *, timeout: float = 600) -> dict[str, Any]:
    """Ask the server at ``url`` to write the backup (``POST /-/backup``, the update token)."""
    import urllib.error
    import urllib.request

    if not token:
        raise BadInputError(f"the knowledge base is served by {url}: a backup through the server "
                            "needs its update token in ONTOMED_UPDATE_TOKEN")
    path = check_target(target)
    request = urllib.request.Request(
        url.rstrip("/") + "/-/backup", data=json.dumps({"directory": str(path)}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace").strip()
        try:
            detail = json.loads(detail).get("error", detail)
        except ValueError:
            pass
        raise BadInputError(f"{url} refused the backup ({exc.code}): {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise StoreError(f"cannot reach {url} to back up through it: {getattr(exc, 'reason', exc)}") from None
