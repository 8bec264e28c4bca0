"""The study's key for the snapshot's patient hashes, kept with its outputs."""

from __future__ import annotations

import os
import secrets
from typing import TYPE_CHECKING

from cohortpress.publish import KEYS

if TYPE_CHECKING:
    from pathlib import Path


def study_key(output_root: Path, study: str) -> bytes:
    """The study's HMAC key, made once (random, readable by the owner only) and kept with its
    outputs: without it a hash cannot be tested against a guessed ID."""
    folder = output_root / KEYS
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / study
    if not path.is_file():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as stream:
            stream.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())
