#!/usr/bin/env python
"""Vendor the query page's editor into the package: YASQE from the npm registry.

The web app serves everything it needs from ``ontomed/web/static`` and never a
CDN (architecture.md §8). This script is how those files got there and how to update
them: it downloads the pinned npm package with ``npm pack``, checks the
registry's integrity hash, and copies the built files in.

    .venv/bin/python scripts/vendor_web_assets.py
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@zazuko/yasqe"
VERSION = "4.6.2"
INTEGRITY = "sha512-83iCLuBIgU04KBIaibxZTjKvrXD6sEe/+aqsHxLb4+ZVD4eaUwh5hFJEetuWkiKBY6WxTjVOmhKXvh2AAOR14g=="
FILES = ("build/yasqe.min.js", "build/yasqe.min.css")
DEST = Path(__file__).resolve().parents[1] / "ontomed" / "web" / "static" / "vendor" / "yasqe"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--json", "--pack-destination", tmp],
                             check=True, capture_output=True, text=True).stdout
        tarball = Path(tmp) / json.loads(out)[0]["filename"]
        digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if digest != INTEGRITY:
            print(f"integrity mismatch for {PACKAGE}@{VERSION}: {digest}", file=sys.stderr)
            return 1
        DEST.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as tar:
            for name in FILES:
                member = tar.getmember(f"package/{name}")
                data = tar.extractfile(member).read()  # type: ignore[union-attr]
                (DEST / Path(name).name).write_bytes(data)
    (DEST / "SOURCE.txt").write_text(
        f"{PACKAGE} {VERSION} from the npm registry ({INTEGRITY}), files {', '.join(FILES)}.\n"
        "Licence: MIT (c) Triply and Zazuko GmbH; https://github.com/rdfjs/Yasgui\n"
        "Refresh with: python scripts/vendor_web_assets.py\n", encoding="utf-8")
    print(f"vendored {PACKAGE}@{VERSION} into {DEST}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
