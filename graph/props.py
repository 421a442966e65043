"""Edge and node properties as JSON texts, one per distinct row (the translator's ``props`` column).

Texts and numbers are written column by column, as :class:`json.JSONEncoder` with sorted
keys would write them; other values (lists, mixed types) go through the encoder row by row.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from consultgraph.graph.codes import first_rows, from_codes, group_numbers


def _clean(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return int(value) if value.is_integer() else value
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


#: One encoder for every row (``json.dumps`` with options builds a new one per call).
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def _cleaned(values):
    """:func:`_clean` of every value of a column; a numeric column is cleaned in one pass."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iuf":
        array = values.to_numpy()
        if array.dtype.kind in "iu":
            return array.tolist()
        whole = np.isfinite(array) & (array == np.floor(array))
        return [None if x != x else int(x) if w else x for x, w in zip(array.tolist(), whole.tolist())]
    return [_clean(v) for v in values]  # a Series yields Python scalars, as itertuples does


def _rows_json(frame, columns):
    """One JSON object per row of ``frame`` from ``columns`` (sorted keys; missing and empty values left out)."""
    fast = _fast_rows_json(frame, columns)
    if fast is not None:
        return fast
    return _json_per_row(frame, columns)


def _json_per_row(frame, columns):
    obj_rows = zip(*(_cleaned(frame[c]) for c in columns))
    texts = []
    for row in obj_rows:
        obj = {k: c for k, c in zip(columns, row) if c is not None and c != ""}
        texts.append(_ENCODER.encode(obj) if obj else "{}")
    return texts


def _value_codes(column):
    """One code per row, the same where the values are the same and of the same type (True is not 1)."""
    if column.dtype != object:
        return pd.factorize(column)[0]
    if pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty"):  # texts: no types to tell apart
        return pd.factorize(column.to_numpy())[0]  # missing values share a code: none of them makes JSON
    return pd.factorize(pd.Series(list(zip(column.map(type), column)), dtype=object).to_numpy())[0]


def props_json(frame, columns, *, as_categorical=False):
    """One JSON object per row from ``columns``, dropping empty values ('{}' when none); made once per distinct row.

    ``as_categorical`` returns the texts as a Categorical (one Python string per distinct
    text, never one per row).
    """
    codes_out = np.zeros(len(frame), dtype=np.int32)  # code 0: '{}'
    texts = ["{}"]
    if columns:
        # rows whose property cells are all missing are '{}': only the others need JSON
        some = frame[columns].notna().any(axis=1).to_numpy()
        part = frame.loc[some, columns]
        try:  # the same value of the same type in every column -> the same JSON (True is not 1)
            codes = [_value_codes(part[c]) for c in columns]
            group = group_numbers(*codes) if len(part) else np.zeros(0, dtype=np.int64)
        except TypeError:  # unhashable values (lists): one JSON per row
            group = np.arange(len(part))
        firsts = first_rows(group)
        distinct = _rows_json(part.iloc[firsts], columns)
        # the same JSON from different rows (an empty string, a None) is one text
        number, texts = pd.factorize(pd.Index(["{}", *distinct], dtype=object))
        codes_out[some] = number[1:][group]
        texts = list(texts)
    values = from_codes(codes_out, texts)
    if as_categorical:
        return pd.Series(values, index=frame.index)
    return pd.Series(np.asarray(values.categories, dtype=object)[values.codes], index=frame.index, dtype=object)


def _fragments(values, key):
    """``', "key": value'`` per row, as the encoder writes it ('' where the value is left out), or None
    where a value is not a text, a number or a truth value (the caller then encodes row by row)."""
    from json.encoder import encode_basestring

    name = ", " + encode_basestring(key) + ": "
    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        array = values.to_numpy()
        words = {True: "true", False: "false"}
        return np.array([name + (words[x] if isinstance(x, bool) else int.__repr__(x)) for x in array.tolist()],
                        dtype=object)
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        array = values.to_numpy()
        whole = np.isfinite(array) & (array == np.floor(array))
        return np.array(["" if x != x else name + (int.__repr__(int(x)) if w else _float_json(x))
                         for x, w in zip(array.tolist(), whole.tolist())], dtype=object)
    if (dtype == object or isinstance(dtype, pd.StringDtype)) and \
            pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return np.array(["" if x is None or x != x or x == "" else name + encode_basestring(x)
                         for x in values.to_numpy(dtype=object).tolist()], dtype=object)
    return None


def _float_json(value):
    """A float as the encoder writes it (``allow_nan``: Infinity, -Infinity)."""
    if value == float("inf"):
        return "Infinity"
    if value == float("-inf"):
        return "-Infinity"
    return float.__repr__(value)


def _fast_rows_json(frame, columns):
    """:func:`_rows_json` column by column, or None where some column holds other values."""
    parts = []
    for column in sorted(columns):  # the encoder sorts the keys
        fragment = _fragments(frame[column], column)
        if fragment is None:
            return None
        parts.append(fragment)
    if not parts:
        return ["{}"] * len(frame)
    joined = parts[0]
    for fragment in parts[1:]:
        joined = joined + fragment  # object arrays: one str concatenation per row
    return ["{" + text[2:] + "}" if text else "{}" for text in joined.tolist()]
