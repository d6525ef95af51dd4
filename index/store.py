"""The on-disk index: one folder per version with a manifest, and a pointer switched atomically with os.replace.

What a version folder holds besides its manifest is index/version_files.py's.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

FORMAT_VERSION = 1
POINTER = "CURRENT"
VERSIONS = "versions"
STAGING_PREFIX = ".staging-"
MANIFEST = "manifest.json"
FIX = "run `stackpick index build` to build a fresh version"


class IndexUnavailable(RuntimeError):
    """The index cannot be served; the message says why and names the fix."""


class EmbeddingInfo(BaseModel):
    model: str
    backend: str
    dimension: int
    fingerprint: str = ""  # sha256 of the stored ONNX encoder (empty for torch and the fake)


class Manifest(BaseModel):
    """What a version holds and how it was made; checked before anything else is read."""

    format_version: int
    version: str
    built_at: str
    embedding: EmbeddingInfo
    counts: dict[str, int]
    corpus_hash: str
    rules_hash: str
    faiss_index: str
    files: dict[str, str]  # relative path -> sha256, to detect a corrupt or truncated file
    build_seconds: float = 0.0
    chunker: str = ""  # how passages were cut (index.build.CHUNKER)
    claim_model: str = ""  # the claim model's fingerprint, or "rules" when the rules alone found the claims
    sequence: int = 0  # publish order: names made in the same second do not sort by age


def new_version_name(now: datetime | None = None) -> str:
    """A sortable, unique version name such as 20261121T171600-3fa2c1."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}-{os.urandom(3).hex()}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that readers see the old file or the new one, never a half-written one."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_path(path.parent)


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    # orjson: a 10,000-article version holds ~70,000 rows, and the standard json module triples the load time.
    with path.open("wb") as handle:
        for row in rows:
            handle.write(orjson.dumps(row) + b"\n")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as handle:
        return [orjson.loads(line) for line in handle if line.strip()]


class IndexStore:
    """The index folder: versions/<name>/ plus a CURRENT pointer naming the version being served."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def versions_dir(self) -> Path:
        return self.root / VERSIONS

    def version_dir(self, version: str) -> Path:
        return self.versions_dir / version

    def _sequence(self, version: str) -> int:
        try:
            data = json.loads((self.version_dir(version) / MANIFEST).read_text(encoding="utf-8"))
            return int(data.get("sequence", 0))
        except (OSError, ValueError, TypeError, AttributeError):
            return -1  # unreadable: oldest, so it is never picked as the latest

    def versions(self) -> list[str]:
        """Published versions, oldest first (in the order they were published)."""
        if not self.versions_dir.is_dir():
            return []
        names = [p.name for p in self.versions_dir.iterdir() if p.is_dir() and not p.name.startswith(".")]
        return sorted(names, key=lambda name: (self._sequence(name), name))

    def next_sequence(self) -> int:
        """The publish number for the next version."""
        return max((self._sequence(v) for v in self.versions()), default=0) + 1

    def current_version(self) -> str | None:
        pointer = self.root / POINTER
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    @contextlib.contextmanager
    def build_lock(self) -> Iterator[None]:
        """One build at a time across processes; a second build waits. The OS drops the lock if a build dies."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".build.lock").open("a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def new_staging_dir(self, version: str) -> Path:
        """A private folder to build a version in; invisible to readers until published."""
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        staging = self.versions_dir / f"{STAGING_PREFIX}{version}"
        staging.mkdir()
        return staging

    def clean_stale_staging(self) -> int:
        """Remove folders left by builds that were killed; returns how many. Call only under build_lock()."""
        removed = 0
        if self.versions_dir.is_dir():
            for path in self.versions_dir.iterdir():
                if path.name.startswith(STAGING_PREFIX):
                    shutil.rmtree(path, ignore_errors=True)
                    removed += 1
        return removed

    def finalize(self, staging: Path, manifest: Manifest) -> None:
        """Checksum every file, write the manifest, fsync, and move the staged folder into place."""
        files = {
            str(p.relative_to(staging)): file_sha256(p)
            for p in sorted(staging.rglob("*"))
            if p.is_file() and p.name != MANIFEST
        }
        manifest.files = files
        for p in staging.rglob("*"):
            if p.is_file():
                _fsync_path(p)
        write_json_atomic(staging / MANIFEST, manifest.model_dump())
        target = self.version_dir(manifest.version)
        os.replace(staging, target)
        _fsync_path(self.versions_dir)

    def set_current(self, version: str) -> None:
        """Point readers at a published version in one atomic step."""
        if not (self.version_dir(version) / MANIFEST).is_file():
            raise IndexUnavailable(f"index version {version!r} does not exist; {FIX}")
        tmp = self.root / f".{POINTER}.tmp-{os.getpid()}"
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(version + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.root / POINTER)
        _fsync_path(self.root)

    def rollback(self, to: str | None = None) -> str:
        """Serve the version before the current one (or a named one); returns the version now served."""
        versions = self.versions()
        current = self.current_version()
        if to is None:
            older = versions[: versions.index(current)] if current in versions else versions[:-1]
            if not older:
                raise IndexUnavailable("there is no earlier index version to roll back to")
            to = older[-1]
        self.read_manifest(to)
        self.set_current(to)
        return to

    def prune(self, keep: int) -> list[str]:
        """Delete all but the newest `keep` versions, never the one being served."""
        current = self.current_version()
        versions = self.versions()
        doomed = [v for v in versions[: max(0, len(versions) - keep)] if v != current]
        for version in doomed:
            shutil.rmtree(self.version_dir(version), ignore_errors=True)
        return doomed

    def read_manifest(self, version: str | None = None) -> Manifest:
        """The manifest of a version (default: the current one), with clear errors naming the fix."""
        version = version or self.current_version()
        if version is None:
            raise IndexUnavailable(f"no index has been built yet in {self.root}; {FIX}")
        path = self.version_dir(version) / MANIFEST
        if not path.is_file():
            raise IndexUnavailable(f"index version {version} has no manifest.json (incomplete or deleted); {FIX}")
        try:
            manifest = Manifest.model_validate_json(path.read_text(encoding="utf-8"))
        except (ValidationError, ValueError, UnicodeDecodeError) as exc:
            raise IndexUnavailable(f"index version {version} has a corrupt manifest.json; {FIX}") from exc
        if manifest.format_version != FORMAT_VERSION:
            raise IndexUnavailable(
                f"index version {version} uses format {manifest.format_version}, this stackpick reads "
                f"format {FORMAT_VERSION}; {FIX}"
            )
        return manifest

    def verify(self, version: str, manifest: Manifest) -> None:
        """Check every file against the manifest's checksums."""
        folder = self.version_dir(version)
        for name, expected in manifest.files.items():
            path = folder / name
            if not path.is_file():
                raise IndexUnavailable(f"index version {version} is missing {name}; {FIX}")
            if file_sha256(path) != expected:
                raise IndexUnavailable(f"index version {version} has a corrupt {name}; {FIX}")

    def size_on_disk(self, version: str) -> int:
        return sum(p.stat().st_size for p in self.version_dir(version).rglob("*") if p.is_file())
