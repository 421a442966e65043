"""Who coded a coding: people, or consultgraph's machine coders (``coder`` starting
``machine:``), and which codings a ``--coder`` choice picks (:func:`select_codings`).
"""

from __future__ import annotations

import json

from consultgraph.errors import UnknownNameError

#: Codings whose coder starts with this were made by consultgraph's machine coders.
MACHINE_PREFIX = "machine:"
AUTO = "auto"
#: What ``--coder`` accepts besides one coder's exact name.
CODER_CHOICES = ("auto", "human", "machine", "all")
#: The Response property naming the people who read it and found that no code applies ('|'-joined).
NO_CODE_BY = "no_code_by"
#: The Response property naming the machine coders that read it (``code`` reads every response it runs on, '|'-joined).
MACHINE_READ_BY = "machine_read_by"


def _parsed(texts):
    """JSON property texts parsed in one call (one array: no per-text call overhead)."""
    return json.loads("[" + ",".join(texts) + "]")


def coder_of(props):
    """The ``coder`` of each edge from its JSON properties ('' where none: people coded it)."""
    import pandas as pd

    props = pd.Series(props, dtype=object)
    has = props.str.contains('"coder"', regex=False, na=False)
    out = pd.Series("", index=props.index, dtype=object)
    if has.any():
        out[has] = [found.get("coder") or "" for found in _parsed(props[has])]
    return out


def number_of(props, key):
    """A numeric property of each JSON property text (NaN where absent)."""
    import pandas as pd

    props = pd.Series(props, dtype=object)
    has = props.str.contains(f'"{key}"', regex=False, na=False)
    out = pd.Series(float("nan"), index=props.index, dtype=float)
    if has.any():
        out[has] = [found.get(key, float("nan")) for found in _parsed(props[has])]
    return out


def is_machine(coders):
    """True where a coder (a Series of names, None for people) is a machine coder."""
    import pandas as pd

    return pd.Series(coders, dtype=object).fillna("").astype(str).str.startswith(MACHINE_PREFIX).to_numpy()


def check_coder(coder):
    """Raise :class:`UnknownNameError` unless ``coder`` is a valid choice (or looks like a coder's name)."""
    if coder in CODER_CHOICES or (isinstance(coder, str) and coder.strip()):
        return coder
    raise UnknownNameError("coder choice", coder, CODER_CHOICES)


def select_codings(frame, coder, no_code=()):
    """The rows of a codings table that ``coder`` picks (see :meth:`Consultation.codings`).

    ``no_code``: ``response -> coders`` who read it and found no code applies; ``auto``
    takes people's (empty) coding of those responses, not the machine's, and a coder who
    only ever answered "none" has no codings rather than an unknown name.
    """
    check_coder(coder)
    if coder == "all" or (not len(frame) and coder in CODER_CHOICES):
        return frame  # a coder's own name is still checked: no coding at all is no coder of that name
    machine = is_machine(frame["coder"])
    if coder == "human":
        return frame[~machine].reset_index(drop=True)
    if coder == "machine":
        return frame[machine].reset_index(drop=True)
    if coder == AUTO:
        unit = frame["response"].where(frame["response"].notna(), frame["respondent"])
        human_units = set(unit[~machine]) | set(no_code)
        keep = ~machine | ~unit.isin(human_units).to_numpy()
        return frame[keep].reset_index(drop=True)
    picked = frame[frame["coder"].fillna("") == coder]
    if not len(picked) and not any(coder in names for names in dict(no_code).values()):
        import difflib

        names = sorted(set(frame["coder"].dropna()) - {""} | {n for names in dict(no_code).values() for n in names})
        raise UnknownNameError("coder", coder, names + list(CODER_CHOICES),
                               nearest=difflib.get_close_matches(coder, names + list(CODER_CHOICES), n=2, cutoff=0.7))
    return picked.reset_index(drop=True)


def no_code_coders(value):
    """The coders a Response's ``no_code_by`` property names (a '|'-joined text; empty: none)."""
    if not isinstance(value, str) or not value:
        return ()
    return tuple(name for name in value.split("|") if name)


def no_code_of(responses, key=NO_CODE_BY):
    """``response -> coders`` named by the ``no_code_by`` (or ``key``) property of Response node rows (id, props).

    Only that property is read: a JSON string found by its key and decoded alone (a
    response's properties hold its whole text; decoding each would cost 0.7 s per 100,000).

    >>> import json, pandas as pd
    >>> marked = json.dumps({"no_code_by": 'ann|b"o', "text": 'x "no_code_by": y'}, sort_keys=True)
    >>> rows = pd.DataFrame({"id": ["r1", "r2", "r3"], "props": [marked, '{"text": "z"}', None]})
    >>> no_code_of(rows)
    {'r1': ('ann', 'b"o')}
    """
    import re

    props = responses["props"].astype(object)
    has = props.str.contains(f'"{key}"', regex=False, na=False).to_numpy()
    # the property as json.dumps writes it (a key is never escaped; a value's quotes are)
    pattern = re.compile(r'(?:^\{|, )"' + re.escape(key) + r'": ("(?:[^"\\]|\\.)*")')
    found, decoded = {}, {}  # the same few coder lists recur: each distinct one is decoded once
    for response, text in zip(responses["id"][has], props[has]):
        match = pattern.search(text)
        if match:
            value = match.group(1)
            names = decoded.get(value)
            if names is None:
                names = decoded[value] = no_code_coders(json.loads(value))
        else:  # written some other way: read it whole
            names = no_code_coders(json.loads(text).get(key))
        if names:
            found[response] = names
    return found


def keep_no_code(nodes, no_code, machine_read=None):
    """``nodes`` whose Response rows keep the ``no_code_by`` (and ``machine_read_by``) the graph had:
    people's 'none' and the machine's reading outlive a reload.

    A load replaces a Response node whole (its text, its file's properties); a reviewer's
    answer that no code applies is not the file's to drop, nor is the record that the
    machine read the response (its codings of it stay too). ``no_code`` and
    ``machine_read`` are called (the graph's ``response -> coders``) only when ``nodes``
    holds a Response.
    """
    responses = (nodes["kind"] == "Response").to_numpy() if len(nodes) else ()
    if not len(nodes) or not responses.any():
        return nodes
    kept = [(NO_CODE_BY, no_code())] + ([(MACHINE_READ_BY, machine_read())] if machine_read is not None else [])
    kept = [(key, marks) for key, marks in kept if marks]
    ids = nodes["id"].to_numpy()
    rows = [i for i in responses.nonzero()[0] if any(ids[i] in marks for _, marks in kept)]
    if not rows:
        return nodes
    props = nodes["props"].astype(object).to_numpy(copy=True)
    for i in rows:
        values = json.loads(props[i]) if isinstance(props[i], str) and props[i] else {}
        for key, marks in kept:
            if key not in values and ids[i] in marks:
                values[key] = "|".join(marks[ids[i]])
        props[i] = json.dumps(values, ensure_ascii=False, sort_keys=True)
    return nodes.assign(props=props)
