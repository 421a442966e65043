"""Dense sentence embeddings for the learned coder, offline: WordLlama's bundled weights.

The ``wordllama`` wheel (MIT) ships its 256-dimension ``l2_supercat`` token embeddings and
tokenizer inside the package, so nothing is downloaded: a text's vector is the mean of its
tokens' vectors, scaled to unit length. Its tokenizer runs BPE over a whole text at once,
which is slow on long texts; but it only turns spaces into "▁" (one more in front) and
none of its tokens holds a "▁" after another character, so a text's tokens are its
words' tokens in order. Each distinct word is tokenised once and the texts' vectors are
one sparse product: 100,000 texts of ~80 words take seconds.
"""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np

#: The model bundled in the wordllama wheel, and its dimensions (Matryoshka: a prefix is a smaller model).
CONFIG, DIMENSIONS = "l2_supercat", 256
#: Texts per block: their words are counted at once (bounds memory at any size).
BLOCK = 16_384
#: What the tokenizer makes of a space (and puts before a text).
_SPACE = "\u2581"
#: The tokenizer's normaliser under which a text's tokens are its words' tokens (see :func:`by_words`).
_NORMALISER = {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": _SPACE},
                                                     {"type": "Replace", "pattern": {"String": " "}, "content": _SPACE}]}


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
    out = np.zeros((len(texts), dimensions), dtype=np.float64)
    table = np.asarray(wl.embedding, dtype=np.float64)
    words = {}  # word -> its token ids, tokenised once for all blocks
    for start in range(0, len(texts), BLOCK):
        block = texts[start:start + BLOCK]
        out[start:start + len(block)] = _token_sums(wl, block, table, words) if by_words(wl) else wl.embed(block)
    norms = np.sqrt(np.einsum("ij,ij->i", out, out))[:, None]
    np.divide(out, norms, out=out, where=norms > 0)
    return out.astype(np.float32)


@lru_cache(maxsize=4)
def by_words(wl):
    """Whether ``wl``'s tokens of a text are its words' tokens (its normaliser and vocabulary allow it)."""
    config = json.loads(wl.tokenizer.to_str())
    return (config.get("normalizer") == _NORMALISER and config.get("pre_tokenizer") is None
            and not any(_SPACE in token.lstrip(_SPACE) for token in config["model"]["vocab"]))


def _plain(text, special):
    """A text whose words are its pieces: one space between words, none in front, no "▁", no special token."""
    return (text and not text.startswith(" ") and "  " not in text and _SPACE not in text
            and not ("<" in text and any(name in text for name in special)))


def _token_sums(wl, texts, table, words):
    """The sum of each text's token vectors (its mean, up to its length): word counts x words' token counts x table."""
    import itertools

    import pandas as pd
    from scipy import sparse

    tokenizer = wl.tokenizer
    # the tokenizer cuts its special tokens' text (``<s>``) out before normalising
    special = tuple(token.content for token in tokenizer.get_added_tokens_decoder().values())
    plain = [_plain(text, special) for text in texts]
    split = [text.split(" ") if ok else [] for text, ok in zip(texts, plain)]
    rows = np.repeat(np.arange(len(texts)), [len(s) for s in split])
    # words in sorted order: a text's sum runs in the same order in any block, so a text always gets the same vector
    codes, distinct = pd.factorize(np.fromiter(itertools.chain.from_iterable(split), dtype=object, count=len(rows)),
                                   sort=True)
    for word in distinct:
        if word not in words:
            words[word] = [token.id for token in tokenizer.model.tokenize(_SPACE + word)]
    ids = [words[word] for word in distinct]
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    columns = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
    tokens = sparse.csr_matrix((np.ones(len(columns)), np.clip(columns, 0, table.shape[0] - 1),
                                np.concatenate([[0], np.cumsum(lengths)])), shape=(len(distinct), table.shape[0]))
    counts = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, codes)), shape=(len(texts), len(distinct)))
    sums = counts @ (tokens @ table).astype(np.float32)
    other = [row for row, (text, ok) in enumerate(zip(texts, plain)) if text and not ok]
    if other:  # the library's own way: its mean has the same direction as the sum
        sums[other] = wl.embed([texts[row] for row in other])
    return sums
