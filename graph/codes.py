"""Integer codes: categorical columns built, joined and taken without one Python string per row,
and rows numbered, deduplicated and first-found by their codes (the translator's and the counts' tools).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def categorical(values):
    """``values`` (a Series) as a Categorical; a loader may hand one over already."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.array
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    return from_codes(codes, uniques)


def from_codes(codes, categories):
    # object categories: texts from different loaders (str, object) can then be united; an
    # object Index given again is reused (pandas remembers it holds no repeats)
    if not (isinstance(categories, pd.Index) and categories.dtype == object):
        categories = pd.Index(list(categories), dtype=object)
    return pd.Categorical.from_codes(codes, categories=categories)


def take(values, rows):
    """Rows of a Categorical, keeping only the categories they use (a count per code, no sort)."""
    codes = values.codes[rows]
    used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(values.categories)))
    renumber = np.full(len(values.categories) + 1, -1, dtype=np.int32)  # the last slot: missing stays missing
    renumber[used] = np.arange(len(used), dtype=np.int32)
    return from_codes(renumber[codes], values.categories[used])


def missing(length):
    return from_codes(np.full(length, -1, dtype=np.int8), [])


def constant(value, length):
    return from_codes(np.zeros(length, dtype=np.int8), [value])


def union(parts):
    """One Categorical of ``parts`` one after another (``pd.concat`` would make objects).

    The categories in order of first appearance: the first part's, then each later part's new
    ones. The first part's codes are kept as they are and only the later parts' categories are
    looked up (a big table and a small batch cost the batch); the categories stay Python
    objects (an Index built from texts would hold Arrow strings, slow to look up in).
    """
    values = [np.asarray(parts[0].categories, dtype=object)]
    categories = pd.Index(values[0], dtype=object)
    codes, count = [np.asarray(parts[0].codes, dtype=np.int64)], len(values[0])
    for part in parts[1:]:
        own = np.asarray(part.categories, dtype=object)
        position = categories.get_indexer(own).astype(np.int64)
        new = np.flatnonzero(position < 0)
        if len(new):
            position[new] = count + np.arange(len(new))
            values.append(own[new])
            count += len(new)
            categories = pd.Index(np.concatenate(values), dtype=object)
        codes.append(np.append(position, -1)[part.codes])  # code -1 (missing) stays -1
    return from_codes(np.concatenate(codes), categories)


def put(values, mask, value):
    """Categorical ``values`` with ``value`` (``None``: missing) where ``mask`` is true."""
    categories = list(values.categories)
    if value is None:
        code = -1
    else:
        if value not in categories:
            categories.append(value)
        code = categories.index(value)
    codes = values.codes.astype(np.int32)
    codes[np.asarray(mask, dtype=bool)] = code
    return from_codes(codes, categories)


def materialise(values):
    """A Categorical as plain objects, ``None`` where missing: the canonical tables' form."""
    return np.append(np.asarray(values.categories, dtype=object), None)[values.codes]


def first_rows(numbers):
    """Positions of the first row of each number, for numbers given in order of first appearance
    (as :func:`pandas.factorize` gives them): a row is first when it exceeds every number before it.

    Examples
    --------
    >>> first_rows(np.array([0, 1, 0, 2, 1, 3])).tolist()
    [0, 1, 3, 5]
    """
    if not len(numbers):
        return np.zeros(0, dtype=np.int64)
    running = np.maximum.accumulate(numbers)
    return np.flatnonzero(np.concatenate([[True], running[1:] > running[:-1]]))


def group_numbers(*columns):
    """Number each row by its combination of ``columns`` (integer codes), in order of appearance."""
    sizes = [int(codes.max(initial=-1)) + 2 for codes in columns]  # missing (-1) is a value of its own
    if math.prod(sizes) < 2**62:  # one int64 key per row: a single hashing pass
        key = np.zeros(len(columns[0]), dtype=np.int64)
        for codes, size in zip(columns, sizes):
            key = key * size + (codes.astype(np.int64) + 1)
        return pd.factorize(key)[0]
    numbers = np.zeros(len(columns[0]), dtype=np.int64)
    for codes, size in zip(columns, sizes):
        numbers, _ = pd.factorize(numbers * size + (codes.astype(np.int64) + 1))
    return numbers


def dense_numbers(*columns):
    """Number each row by its combination of ``columns`` (integer codes), in no set order.

    Combinations of a few small vocabularies (kinds, concepts, stances) have a small key
    space: a table over it numbers them without hashing a row.
    """
    sizes = [int(codes.max(initial=-1)) + 2 for codes in columns]
    if math.prod(sizes) > 2**24:
        return group_numbers(*columns)
    key = np.zeros(len(columns[0]), dtype=np.int32)
    for codes, size in zip(columns, sizes):
        key *= size
        key += codes
        key += 1
    present = np.bincount(key, minlength=math.prod(sizes)) > 0
    return (np.cumsum(present, dtype=np.int32) - 1)[key]


#: Cells of the scratch table :func:`distinct_rows` marks at a time (int32: 16 MB, reused).
SCRATCH_CELLS = 1 << 22


def distinct_rows(first, second, width, size):
    """True for the last row of each distinct ``(first, second)`` pair.

    ``first`` numbers below ``size`` (respondents, sources), ``second`` below ``width``
    (a few hundred combinations at most). A scratch table of (first, second) slots, a block
    of ``first`` values at a time, keeps the highest row number written to each slot; a row
    is kept when the slot still names it. Linear in the rows: no hashing, no sort of the rows.

    Examples
    --------
    >>> distinct_rows(np.array([0, 1, 0, 1]), np.array([2, 2, 2, 3]), 4, 2).tolist()
    [False, True, True, True]
    """
    first, second = np.asarray(first), np.asarray(second)
    keep = np.zeros(len(first), dtype=bool)
    if not len(first):
        return keep
    width, size = max(int(width), 1), max(int(size), 1)
    block = max(1, SCRATCH_CELLS // width)
    blocks = -(-size // block)
    if blocks > 1 and (first[1:] < first[:-1]).any():
        number = (first // block).astype(np.int16 if blocks < 2**15 else np.int64)
        order = np.argsort(number, kind="stable")  # a stable sort of small numbers: radix, linear
        bounds = np.concatenate([[0], np.cumsum(np.bincount(number, minlength=blocks))])
        del number
    else:
        order = None
        bounds = np.searchsorted(first, np.arange(blocks + 1) * block) if blocks > 1 else np.array([0, len(first)])
    slots = np.empty(min(block, size) * width, dtype=np.int32)
    for number in range(blocks):
        start, stop = bounds[number], bounds[number + 1]
        if start == stop:
            continue
        rows = order[start:stop] if order is not None else np.arange(start, stop)
        flat = (first[rows].astype(np.int64) - number * block) * width + second[rows]
        marks = np.arange(len(rows), dtype=np.int32)  # in row order (the block sort is stable)
        slots[flat] = -1
        np.maximum.at(slots, flat, marks)
        keep[rows] = slots[flat] == marks
    return keep
