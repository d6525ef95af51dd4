"""All configuration in one pydantic-settings class: environment variables or a .env file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from knowledge.addresses import MAX_BYTES, TIMEOUT_SECONDS, FetchPolicy

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """stackpick's settings; Slack ones are unprefixed (as Slack names them), the rest start with STACKPICK_."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")

    library_dir: Path = Field(default=PROJECT_ROOT / "knowledge" / "articles", validation_alias="STACKPICK_LIBRARY_DIR")
    index_dir: Path = Field(default=PROJECT_ROOT / "var" / "index", validation_alias="STACKPICK_INDEX_DIR")
    cache_dir: Path = Field(default=PROJECT_ROOT / "var" / "cache", validation_alias="STACKPICK_CACHE_DIR")
    rules_file: Path = Field(default=PROJECT_ROOT / "knowledge" / "rules.yaml", validation_alias="STACKPICK_RULES")
    embedding_model: str = Field(default="bundled", validation_alias="STACKPICK_EMBEDDING_MODEL")
    # onnx-int8 (default): the model exported to ONNX with int8 weights, stored in the index, run without torch;
    # onnx: the same export in fp32; torch: sentence-transformers itself (imports torch: seconds to start).
    embedding_backend: Literal["onnx-int8", "onnx", "torch"] = Field(
        default="onnx-int8", validation_alias="STACKPICK_EMBEDDING_BACKEND"
    )
    # The learned models (claims, questions): a setting names one; otherwise a team's retrained ones in models_dir
    # (`stackpick train`), otherwise the ones shipped in knowledge/models/.
    claim_model: Path | None = Field(default=None, validation_alias="STACKPICK_CLAIM_MODEL")
    question_model: Path | None = Field(default=None, validation_alias="STACKPICK_QUESTION_MODEL")
    models_dir: Path = Field(default=PROJECT_ROOT / "var" / "models", validation_alias="STACKPICK_MODELS_DIR")
    # A team's own labeled data, added to what `stackpick train` learns from: files in the format of
    # knowledge/labeled/clauses.yaml and knowledge/labeled/train_questions.yaml (comma- or space-separated paths).
    training_clauses: Annotated[list[Path], NoDecode] = Field(default_factory=list,
                                                              validation_alias="STACKPICK_TRAINING_CLAUSES")
    training_questions: Annotated[list[Path], NoDecode] = Field(default_factory=list,
                                                                validation_alias="STACKPICK_TRAINING_QUESTIONS")
    hnsw_threshold: int = Field(default=50_000, validation_alias="STACKPICK_HNSW_THRESHOLD")
    keep_versions: int = Field(default=5, ge=1, validation_alias="STACKPICK_KEEP_VERSIONS")
    admins: Annotated[list[str], NoDecode] = Field(default_factory=list, validation_alias="STACKPICK_ADMINS")
    feedback_db: Path = Field(
        default=PROJECT_ROOT / "var" / "feedback.sqlite3", validation_alias="STACKPICK_FEEDBACK_DB"
    )
    log_level: str = Field(default="INFO", validation_alias="STACKPICK_LOG_LEVEL")
    # Several replicas: Redis shares event de-duplication and index-publish notices; a database URL (SQLAlchemy,
    # e.g. postgresql+psycopg://...) shares feedback. Secrets: URLs may carry passwords, so never log them whole.
    redis_url: SecretStr | None = Field(default=None, validation_alias="REDIS_URL")
    database_url: SecretStr | None = Field(default=None, validation_alias="STACKPICK_DATABASE_URL")

    # Articles are fetched from public addresses only. Teams whose articles live on an intranet name the hosts
    # (`wiki.corp`, `.corp.example.com` for every host under it) and networks (`10.20.0.0/16`) to allow here;
    # cloud metadata addresses stay refused whatever this says.
    fetch_allow: Annotated[list[str], NoDecode] = Field(default_factory=list, validation_alias="STACKPICK_FETCH_ALLOW")
    fetch_max_bytes: int = Field(default=MAX_BYTES, ge=1, validation_alias="STACKPICK_FETCH_MAX_BYTES")
    fetch_timeout: float = Field(default=TIMEOUT_SECONDS, gt=0, validation_alias="STACKPICK_FETCH_TIMEOUT")

    @field_validator("admins", "fetch_allow", "training_clauses", "training_questions", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        # "U1,U2" or "U1 U2" in the environment; a JSON list also works.
        if isinstance(value, str) and not value.strip().startswith("["):
            return [part for part in value.replace(",", " ").split() if part]
        return value

    @field_validator("fetch_allow")
    @classmethod
    def _valid_allow(cls, value: list[str]) -> list[str]:
        FetchPolicy.from_entries(value)  # a malformed entry fails at start-up, naming the entry
        return value

    @field_validator("redis_url", "database_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `REDIS_URL=` (as compose files and Helm values often leave it) means "not configured", not "connect to ''".
        return None if isinstance(value, str) and not value.strip() else value

    def is_admin(self, user_id: str | None) -> bool:
        return bool(user_id) and user_id in self.admins

    def fetch_policy(self) -> FetchPolicy:
        """What fetching an article may reach and read (STACKPICK_FETCH_*)."""
        return FetchPolicy.from_entries(self.fetch_allow, max_bytes=self.fetch_max_bytes, timeout=self.fetch_timeout)
