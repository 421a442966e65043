"""The names of the shares table and the one text of a share ("69% (37 of 53)").

Plain Python, so that reading a stored shares view (:mod:`~consultgraph.queries.shares_view`)
needs no pandas; :mod:`~consultgraph.queries.shares` computes the table and re-exports
these names.
"""

from __future__ import annotations

import math
import sys

#: The columns of :func:`shares`, in order.
COLUMNS = ("group", "concept", "kind", "stance", "count", "base", "base_kind", "share", "low", "high", "basis",
           "finding", "source_line", "reported_percent", "qualitative", "base_note", "finding_stance", "text")
#: The whole: a respondent raised the concept with any stance.
RAISED = "raised"
#: Its parts, in display order.
PARTS = ("lead", "support", "drop", "mention")
VOTES = ("agree", "disagree", "pass")
VOTE_VALUES = {1: "agree", -1: "disagree", 0: "pass"}
STANCE_ORDER = {RAISED: 0, **{s: i + 1 for i, s in enumerate(PARTS)}, **{s: i + 10 for i, s in enumerate(VOTES)}}


def missing(value):
    """True for None, NaN and pandas' NA (pandas is only asked about if something imported it)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    pandas = sys.modules.get("pandas")
    return pandas is not None and value is pandas.NA


def whole_or_float(value):
    """An int for whole numbers, a float otherwise, None for missing."""
    if missing(value):
        return None
    value = float(value)
    return int(value) if value.is_integer() else value


def format_share(count=None, base=None, reported_percent=None, *, share=None, base_kind=None, qualitative=None,
                 stance=None, finding_stance=None):
    """The text every view shows for a share: "69% (37 of 53)".

    Parameters
    ----------
    count, base : int, optional
        How many said so, of how many.
    reported_percent : float, optional
        The percent the source printed; shown when it agrees with count/base within a point.
    share : float, optional
        Used when count or base is missing (e.g. a reweighted share).
    base_kind : {'group', 'subgroup', 'not stated'}, optional
        Not part of the text (views flag a subgroup base beside it, with its base note).
    qualitative : str, optional
        The source's words where it gives no number.
    stance, finding_stance : str, optional
        A ``raised`` row filled by a finding of another stance says which.

    Examples
    --------
    >>> format_share(37, 53)
    '70% (37 of 53)'
    >>> format_share(37, 53, 69)
    '69% (37 of 53)'
    >>> format_share(None, 74, 43)
    '43% (of 74; count not stated)'
    >>> format_share(None, None, 43)
    '43% (count and base not stated)'
    >>> format_share(1, None)
    '1 respondent (base not stated)'
    >>> format_share(14, 30, 47, base_kind="subgroup")
    '47% (14 of 30)'
    >>> format_share(30, 74, 41, stance="raised", finding_stance="lead")
    '41% (30 of 74), stated as lead'
    """
    if isinstance(qualitative, str) and qualitative:
        return f"qualitative: {qualitative}"
    count, base, reported = whole_or_float(count), whole_or_float(base), whole_or_float(reported_percent)
    computed = count / base if count is not None and base else None
    if missing(share):
        share = computed if computed is not None else (reported / 100 if reported is not None else None)
    if share is None:
        if count is None:
            return "not reported"
        if base == 0:
            return "no respondents"
        return f"{count} respondent{'' if count == 1 else 's'} (base not stated)"
    if reported is not None and (computed is None or abs(reported - computed * 100) <= 1):
        percent = f"{reported:g}%"
    else:
        percent = f"{share * 100:.0f}%"
    if count is not None and base:
        body = f"{count:g} of {base:g}"
    elif base:
        body = f"of {base:g}; count not stated"
    else:
        body = "count and base not stated"
    text = f"{percent} ({body})"
    if stance == RAISED and isinstance(finding_stance, str) and finding_stance != "mention":
        text += f", stated as {finding_stance}"
    return text


def format_row(row):
    """:func:`format_share` of one row of the shares table (a mapping or a namedtuple)."""
    get = row.get if hasattr(row, "get") else lambda key: getattr(row, key, None)
    return format_share(get("count"), get("base"), get("reported_percent"), share=get("share"),
                        base_kind=get("base_kind"), qualitative=get("qualitative"), stance=get("stance"),
                        finding_stance=get("finding_stance"))


def stance_label(stance):
    """How a stance row is named for readers: ``raised (any stance)``, ``lead (part of raised)``."""
    if stance == RAISED:
        return "raised (any stance)"
    if stance in PARTS:
        return f"{stance} (part of raised)"
    return stance or ""
