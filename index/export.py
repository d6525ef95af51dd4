"""Export a sentence-transformers model to ONNX (fp32 or int8) once, check it agrees with the original, cache it.

This is the only module that needs torch, and only when no exported encoder for the model exists yet. Why not
sentence-transformers' own `export_dynamic_quantized_onnx_model`: it needs optimum's ONNX Runtime backend, whose
current release pins transformers < 4.58, which sentence-transformers 6 cannot run with. The steps are the same:
sentence-transformers loads the model, torch.onnx traces its transformer, onnxruntime quantizes the weights.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from .encoder import (
    INFO_FILE,
    MODEL_FILE,
    ONNX_BACKENDS,
    TOKENIZER_FILE,
    EncoderInfo,
    EncoderMissing,
    OnnxEmbedder,
    read_encoder_info,
    write_encoder_info,
)
from .store import file_sha256

EXPORT_FORMAT = 1  # bump when the export steps change, so cached exports are redone
MIN_AGREEMENT = 0.98  # lowest cosine between an exported vector and sentence-transformers' own, on the probes
PROBES = [
    "Node.js or Python for a real-time chat app?",
    "Python leads in AI and data science, while Node.js leads in web and real-time development.",
    "The event loop handles many concurrent connections without a thread per request, which suits streaming.",
    "Which backend should a small team that knows JavaScript pick for a REST API with a React front end?",
    "pandas",
    "Python is not suitable for memory-intensive tasks, and its global interpreter lock limits CPU-bound threads "
    "in a single process; multiprocessing or native extensions are the usual ways around it, at some cost.",
]


class ExportError(RuntimeError):
    """The model could not be exported or the export disagrees with the original; the message says why."""


def source_fingerprint(model_dir: Path) -> str:
    """Identifies a model folder cheaply: its small config files' contents and every file's name and size."""
    digest = hashlib.sha256()
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file() and ".git" not in p.parts):
        rel = str(path.relative_to(model_dir))
        digest.update(f"{rel}\0{path.stat().st_size}\0".encode())
        if path.suffix == ".json" and path.stat().st_size < 100_000:
            digest.update(path.read_bytes())
    digest.update(f"export-format-{EXPORT_FORMAT}".encode())
    return digest.hexdigest()


def _check_pipeline(model_dir: Path) -> tuple[int, bool]:
    """The model's max sequence length and whether it normalizes; refuses pipelines the encoder can't reproduce."""
    modules = json.loads((model_dir / "modules.json").read_text()) if (model_dir / "modules.json").is_file() else []
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k not in ("Normalize",) for k in kinds[2:]):
        raise ExportError(
            f"{model_dir}: modules {kinds or 'unknown'} are not Transformer + mean Pooling (+ Normalize); "
            "set STACKPICK_EMBEDDING_BACKEND=torch to use this model"
        )
    pooling_dir = model_dir / next(m.get("path", "") for m in modules if m.get("type", "").endswith("Pooling"))
    pooling = json.loads((pooling_dir / "config.json").read_text())
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
    if modes != ["pooling_mode_mean_tokens"]:
        raise ExportError(f"{model_dir}: pooling {modes} is not mean pooling; set STACKPICK_EMBEDDING_BACKEND=torch")
    config_file = model_dir / "sentence_bert_config.json"
    max_len = json.loads(config_file.read_text()).get("max_seq_length", 256) if config_file.is_file() else 256
    return int(max_len), "Normalize" in kinds


def export_encoder(model_dir: Path, model_id: str, backend: str, out_dir: Path) -> EncoderInfo:
    """Write model.onnx, tokenizer.json and encoder.json for `model_dir` into `out_dir` (needs torch)."""
    if backend not in ONNX_BACKENDS:
        raise ExportError(f"unknown ONNX backend {backend!r}: use one of {', '.join(ONNX_BACKENDS)}")
    max_len, normalize = _check_pipeline(model_dir)
    with _root_logging_kept():
        return _export(model_dir, model_id, backend, out_dir, max_len, normalize)


@contextlib.contextmanager
def _root_logging_kept() -> Iterator[None]:
    # The export stack configures the root logger as it imports (a DEBUG level, a stderr handler); left in place,
    # every library's debug chatter would reach the user's terminal for the rest of the build.
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        yield
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers


def _export(model_dir: Path, model_id: str, backend: str, out_dir: Path, max_len: int, normalize: bool) -> EncoderInfo:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging
    except ImportError as exc:
        raise ExportError(
            "exporting the embedding model needs torch and sentence-transformers: "
            "pip install 'stackpick[build]' (or build the index where they are installed)"
        ) from exc

    transformers_logging.disable_progress_bar()  # "Loading weights" bars are noise in a build's output
    model = SentenceTransformer(str(model_dir), device="cpu")
    transformer: torch.nn.Module = model[0].auto_model  # type: ignore[assignment]
    transformer.eval()

    class LastHiddenState(torch.nn.Module):
        """Keyword arguments, one output: the traced graph then takes exactly what the tokenizer gives."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer_file = model_dir / TOKENIZER_FILE
    if not tokenizer_file.is_file():
        raise ExportError(f"{model_dir} has no {TOKENIZER_FILE} (a fast tokenizer is needed without transformers)")
    shutil.copyfile(tokenizer_file, out_dir / TOKENIZER_FILE)
    sample = model.tokenizer(PROBES[:2], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    inputs = tuple(sample.get(n, torch.zeros_like(sample["input_ids"])) for n in names)
    fp32 = out_dir / ("model-fp32.onnx" if backend == "onnx-int8" else MODEL_FILE)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHiddenState(transformer), inputs, str(fp32), input_names=names, output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
            opset_version=17, dynamo=False,
        )
    if backend == "onnx-int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # Per-channel int8 weights: per-tensor scales lost too much here (cosine 0.92 to the fp32 vectors).
        with _quiet_root_logger():  # onnxruntime logs advice about calibration, which dynamic quantization skips
            quantize_dynamic(str(fp32), str(out_dir / MODEL_FILE), weight_type=QuantType.QInt8, per_channel=True)
        fp32.unlink()

    import onnxruntime

    info = EncoderInfo(
        model=model_id, backend=backend, dimension=int(_dimension(model) or 0),
        max_seq_length=max_len, normalize=normalize, source_fingerprint=source_fingerprint(model_dir),
        fingerprint=file_sha256(out_dir / MODEL_FILE),
        exported_with=f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}",
    )
    write_encoder_info(out_dir, info)
    agreement = _agreement(model, OnnxEmbedder(out_dir))
    if agreement < MIN_AGREEMENT:
        raise ExportError(
            f"the {backend} export of {model_id} agrees with the original only to cosine {agreement:.3f} "
            f"(< {MIN_AGREEMENT}); set STACKPICK_EMBEDDING_BACKEND=onnx (fp32) or torch"
        )
    return info


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _dimension(model: object) -> int | None:
    # sentence-transformers 6 renamed the method; 5 has only the old name.
    method = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension  # type: ignore[attr-defined]
    return method()


def _agreement(model: object, encoder: OnnxEmbedder) -> float:
    reference = np.asarray(model.encode(PROBES, normalize_embeddings=True), dtype=np.float32)  # type: ignore[attr-defined]
    exported = encoder.embed(PROBES)
    if not encoder.info.normalize:
        exported = exported / np.linalg.norm(exported, axis=1, keepdims=True)
    return float((reference * exported).sum(axis=1).min())


def _matches(folder: Path, model_id: str, backend: str, fingerprint: str | None) -> bool:
    try:
        info = read_encoder_info(folder)
    except (EncoderMissing, ValueError):
        return False
    same_source = fingerprint is None or info.source_fingerprint == fingerprint
    return info.model == model_id and info.backend == backend and same_source


def ensure_encoder(
    model_dir: Path | None, model_id: str, backend: str, cache_root: Path, reuse: list[Path] | None = None
) -> Path:
    """An encoder folder for the model: one in `reuse` (e.g. the served index's), the cache's, or a new export.

    `model_dir` is None where the model's own files are not installed (a runtime image): then only an existing
    export of the same model and backend can be used.
    """
    fingerprint = source_fingerprint(model_dir) if model_dir is not None else None
    for folder in reuse or []:
        if _matches(folder, model_id, backend, fingerprint):
            # Copied into the cache: an index version's folder is deleted when the version is pruned.
            info = read_encoder_info(folder)
            kept = _cache_folder(cache_root, model_id, backend, info.source_fingerprint)
            if not _matches(kept, model_id, backend, info.source_fingerprint):
                _publish(kept, functools.partial(_copy_files, folder))
            return kept
    if fingerprint is None:
        raise ExportError(
            f"no exported {backend} encoder of {model_id} is available and the model itself is not installed; "
            "build the index where `stackpick[build]` is installed"
        )
    assert model_dir is not None
    target = _cache_folder(cache_root, model_id, backend, fingerprint)
    if not _matches(target, model_id, backend, fingerprint):
        _publish(target, lambda staging: export_encoder(model_dir, model_id, backend, staging))
    return target


def _cache_folder(cache_root: Path, model_id: str, backend: str, fingerprint: str) -> Path:
    return cache_root / "encoders" / f"{model_id}-{backend}-{fingerprint[:16]}"


def _copy_files(source: Path, target: Path) -> None:
    for path in source.iterdir():
        if path.is_file():
            shutil.copy2(path, target / path.name)


def _publish(target: Path, fill: Callable[[Path], object]) -> None:
    """Fill a staging folder beside `target`, then rename it into place: others see nothing or all of it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a service user may need to read what a build user exported
    try:
        fill(staging)
        with contextlib.suppress(OSError):
            os.replace(staging, target)  # another process may have won the race; its folder is as good
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if not (target / INFO_FILE).is_file():
        raise ExportError(f"preparing the encoder in {target} failed")
