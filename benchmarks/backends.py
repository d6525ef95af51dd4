"""Which embedding backends the product offers (STACKPICK_EMBEDDING_BACKEND), and the environment that picks one."""

from __future__ import annotations

import typing
from dataclasses import dataclass

ENV = "STACKPICK_EMBEDDING_BACKEND"
DEFAULT = "default"  # the product's default: the variable left unset
TORCH = "torch"


@dataclass(frozen=True)
class BackendSetting:
    """What this build of stackpick accepts: None when it has no backend setting yet."""

    field: str | None
    choices: tuple[str, ...] | None  # None: any string (or unknown)
    default: str | None

    @property
    def exists(self) -> bool:
        return self.field is not None


def backend_setting() -> BackendSetting:
    """Read the backend setting from bot.settings.Settings, wherever the lead named it."""
    from bot.settings import Settings

    for name, info in Settings.model_fields.items():
        if info.validation_alias == ENV or name == "embedding_backend":
            args = typing.get_args(info.annotation)
            choices = tuple(a for a in args if isinstance(a, str)) or None
            default = info.default if isinstance(info.default, str) else None
            return BackendSetting(name, choices, default)
    return BackendSetting(None, None, None)


def resolve(requested: list[str]) -> tuple[list[str], list[str]]:
    """The backends to measure and warnings about those that cannot be; 'default' leaves the variable unset."""
    setting = backend_setting()
    usable: list[str] = []
    warnings: list[str] = []
    for backend in requested:
        if backend == DEFAULT:
            usable.append(backend)
        elif not setting.exists:
            warnings.append(f"{ENV} does not exist in this build of stackpick yet: skipping backend {backend!r} "
                            f"(the default, sentence-transformers on torch, is measured as 'default')")
        elif setting.choices is not None and backend not in setting.choices:
            warnings.append(f"backend {backend!r} is not one of {', '.join(setting.choices)}: skipped")
        elif backend == setting.default and DEFAULT in requested:
            warnings.append(f"backend {backend!r} is the default: measured once, as 'default'")
        else:
            usable.append(backend)
    return list(dict.fromkeys(usable)) or [DEFAULT], warnings


def backend_env(backend: str) -> dict[str, str]:
    """The variables that select a backend (none for the default)."""
    return {} if backend == DEFAULT else {ENV: backend}


def quality_backends() -> tuple[list[str], list[str]]:
    """The two paths the quality comparison needs: the default and the fp32 torch path (when selectable)."""
    setting = backend_setting()
    if not setting.exists:
        return [DEFAULT], [f"{ENV} does not exist yet: quality measured for the default path only"]
    if setting.default == TORCH:
        return [DEFAULT], ["the default backend is torch: quality measured once"]
    return [DEFAULT, TORCH], []
