"""Dense sentence embeddings for the learned coder, offline: WordLlama's bundled weights.

The ``wordllama`` wheel (MIT) ships its 256-dimension ``l2_supercat`` token embeddings and
tokenizer inside the package, so nothing is downloaded: a text's vector is the mean of its
tokens' vectors, scaled to unit length (100,000 texts of ~80 words take seconds).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: The model bundled in the wordllama wheel, and its dimensions (Matryoshka: a prefix is a smaller model).
CONFIG, DIMENSIONS = "l2_supercat", 256
#: Texts per batch: the padded token vectors of a batch are held at once (64: WordLlama's default, fastest).
BATCH = 64


@lru_cache(maxsize=4)
def model(dimensions=DIMENSIONS):
    """The WordLlama model from the files inside the installed package; never downloads.

    Raises
    ------
    consultgraph.errors.ConsultGraphError
        When the package or its bundled weights are missing.
    """
    from pathlib import Path

    from consultgraph.errors import ConsultGraphError

    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError as error:  # pragma: no cover - a core dependency
        raise ConsultGraphError(f"wordllama is not installed ({error}): python3 -m pip install wordllama") from error
    # wordllama looks for bundled tokenizers in tokenizer/, but the wheel has them in tokenizers/:
    # pointing its cache at the package folder finds both files there, with downloads off
    try:
        return WordLlama.load(CONFIG, cache_dir=Path(wordllama.__file__).parent, dim=DIMENSIONS,
                              trunc_dim=None if dimensions == DIMENSIONS else dimensions, disable_download=True)
    except FileNotFoundError as error:
        raise ConsultGraphError(f"wordllama's bundled {CONFIG} weights were not found ({error}); "
                                f"reinstall it: python3 -m pip install --force-reinstall wordllama") from error


def embed(texts, dimensions=DIMENSIONS):
    """Unit-length sentence vectors of ``texts``: a float32 array, one row per text.

    An empty text gets the zero vector.

    Examples
    --------
    >>> vectors = embed(["The ads should be banned", "Ban gambling adverts", "I like parks"])
    >>> vectors.shape, bool(vectors[0] @ vectors[1] > vectors[0] @ vectors[2])
    ((3, 256), True)
    """
    wl = model(dimensions)
    texts = [t if isinstance(t, str) else "" for t in texts]
    if not texts:
        return np.zeros((0, dimensions), dtype=np.float32)
    out = wl.embed(texts, batch_size=BATCH)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out
