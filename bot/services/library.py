"""Curating the library: add articles and rebuild the index (used by the CLI and by admins in Slack)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

from index.build import ProgressHook, build_index, current_articles
from index.cache import EmbeddingCache
from index.claim_models import claim_model_for, claim_model_path
from index.embedding import Embedder, build_embedder, token_counter_for
from index.store import IndexStore, IndexUnavailable
from index.version_files import VersionFiles
from knowledge.claim_model import ClaimModel
from knowledge.corpus import ID_PATTERN, Article, article_path, write_article
from knowledge.ingest import Draft, IngestError, check_duplicates, check_source, read_source, to_article
from knowledge.rules import Rules, load_rules

from ..answer import AddReport
from ..settings import Settings
from .notices import publish_index_version

# One rebuild at a time in this process: a second admin's request waits instead of racing the first.
_BUILD_LOCK = threading.Lock()


class Librarian:
    """Adds articles to the library folder, then rebuilds and publishes the index."""

    def __init__(self, settings: Settings, progress: ProgressHook | None = None) -> None:
        self.settings = settings
        self.progress = progress
        self._embedder: Embedder | None = None

    @property
    def embedder(self) -> Embedder:
        # Kept for the librarian's life: a serving bot adding articles loads the model once, not per rebuild.
        if self._embedder is None:
            self._embedder = build_embedder(
                self.settings.embedding_model, self.settings.embedding_backend, self.settings.cache_dir,
                reuse=self._served_encoder(),
            )
        return self._embedder

    def _served_encoder(self) -> list[Path]:
        # Reusing the served index's encoder lets a runtime without torch (or the original model) add articles.
        version = self._store().current_version()
        return [VersionFiles(self._store().version_dir(version)).encoder_dir] if version else []

    def _store(self) -> IndexStore:
        return IndexStore(self.settings.index_dir)

    def rebuild(self, full: bool = False) -> AddReport:
        started = time.perf_counter()
        with _BUILD_LOCK:
            before = self._passage_count()
            cache = EmbeddingCache(self.settings.cache_dir / "embeddings.sqlite3")
            rules = load_rules(self.settings.rules_file)
            try:
                report = build_index(
                    self.settings.library_dir, self._store(), self.embedder,
                    token_counter_for(self.embedder, self.settings.embedding_model), rules, cache,
                    hnsw_threshold=self.settings.hnsw_threshold, keep_versions=self.settings.keep_versions,
                    progress=self.progress, reuse=not full, claim_model=self._claim_model(rules),
                )
            finally:
                cache.close()
        # Every replica switches now rather than at its next poll of the index folder (a no-op without REDIS_URL).
        publish_index_version(self.settings, report.version)
        return AddReport(report.added_articles, max(0, report.passages - before), report.version,
                         time.perf_counter() - started, build=report)

    def _claim_model(self, rules: Rules) -> ClaimModel | None:
        """The configured claim model, a team's retrained one, the shipped one, or the served version's copy."""
        configured = self.settings.claim_model
        path = claim_model_path(configured, self.settings.models_dir)
        if path is None:
            version = self._store().current_version()
            path = VersionFiles(self._store().version_dir(version)).claim_model_path() if version else None
        return claim_model_for(self.embedder, rules, path, required=configured is not None)

    def _passage_count(self) -> int:
        try:
            return self._store().read_manifest().counts.get("passages", 0)
        except Exception:  # no index yet, or an unreadable one: a rebuild starts from nothing either way
            return 0

    def prepare(self, items: list[Draft | Article], force: bool) -> tuple[list[Article], list[str]]:
        """Validate every new article against the library and each other before anything is written."""
        folder = self.settings.library_dir
        library = current_articles(folder, self._store()) if folder.is_dir() else []
        ids = {a.id for a in library}
        accepted: list[Article] = []
        warnings: list[str] = []
        for item in items:
            article = to_article(item, ids)
            warning = check_duplicates(article, library + accepted, force)
            if warning:
                warnings.append(warning)
            accepted.append(article)
            ids.add(article.id)
        return accepted, warnings

    def add(self, sources: list[str], force: bool = False, *, files: bool = True) -> AddReport:
        """Read, check and add every source, then rebuild; any bad source means nothing is added.

        `files=False` (Slack) accepts http(s) URLs only: a path or `file://` is refused without being read. URLs
        are fetched under the settings' policy: public addresses only unless STACKPICK_FETCH_ALLOW opens more.
        """
        if not sources:
            raise IngestError("nothing to add: give at least one file path or http(s) URL")
        for source in sources:  # every source is checked before any is read or fetched
            check_source(source, files)
        from knowledge.fetch import Fetcher  # deferred: httpx is only needed once something is fetched

        fetcher = Fetcher(self.settings.fetch_policy())
        return self._add([read_source(s, fetcher, files) for s in sources], force)

    def add_text(
        self, title: str | None, url: str | None, date: str | None, text: str, force: bool = False
    ) -> AddReport:
        """Add an article typed or pasted in (the Slack form)."""
        published = None
        if date:
            try:
                published = dt.date.fromisoformat(date.strip())
            except ValueError as exc:
                raise IngestError(f"date {date!r} is not YYYY-MM-DD") from exc
        if url and not url.startswith(("http://", "https://")):
            raise IngestError(f"source url {url!r} must start with http:// or https://")
        draft = Draft(text=text, title=(title or "").strip() or None, url=url or None, published=published,
                      origin="the pasted text")
        return self._add([draft], force)

    def _add(self, items: list[Draft | Article], force: bool) -> AddReport:
        started = time.perf_counter()
        accepted, warnings = self.prepare(items, force)
        written = [write_article(self.settings.library_dir, a) for a in accepted]
        try:
            report = self.rebuild()
        except BaseException:
            for path in written:  # keep library and index in step: a failed build adds nothing
                path.unlink(missing_ok=True)
            raise
        report.added = [a.id for a in accepted]
        report.warnings = warnings
        report.seconds = time.perf_counter() - started
        return report

    def remove(self, article_id: str) -> AddReport:
        """Delete one article from the library folder and rebuild; a failed rebuild puts it back."""
        if not ID_PATTERN.match(article_id):
            # Also keeps a name like `../x` from pointing outside the library folder.
            raise IngestError(f"{article_id!r} is not an article id (see `stackpick index list`)")
        path = article_path(self.settings.library_dir, article_id)
        if not path.is_file():
            raise IngestError(f"no article with id {article_id!r} in the library (see `stackpick index list`)")
        backup = path.read_bytes()
        path.unlink()
        try:
            return self.rebuild()
        except BaseException:
            path.write_bytes(backup)
            raise

    def rollback(self, to: str | None = None) -> AddReport:
        """Serve the version before the current one (or `to`) again; every replica is told at once."""
        started = time.perf_counter()
        store = self._store()
        with _BUILD_LOCK:
            if to is not None and to not in store.versions():
                # Only a version in the folder: a name like `../x` must not become the served pointer.
                raise IndexUnavailable(f"no index version {to!r}; the kept ones are {', '.join(store.versions())}")
            version = store.rollback(to)
        publish_index_version(self.settings, version)
        return AddReport([], 0, version, time.perf_counter() - started)
