"""Reading a Pol.is conversation export into tidy pandas tables.

One call, :func:`read_polis_export`, reads an export folder (``comments.csv``,
``votes.csv``, ``participants-votes.csv``, ``summary.csv``), keeps only each
participant's latest vote on each statement, and checks every value it relies on.

Two layouts are read:

* the *classic* layout of the compdemocracy openData repository: ``participants-votes.csv``
  with columns ``participant, group-id, n-comments, n-votes, n-agree, n-disagree, <ids>``
  and millisecond timestamps;
* the *xid* layout of newer Pol.is servers: file names may carry a prefix
  (``2025-08-29-0002-7btrabcujr-votes.csv``), the matrix file may be called
  ``participant-votes.csv``, it may hold an ``xid`` column (or a separate
  ``*-xid.csv`` with ``participant, xid``), and timestamps are in seconds.

Pol.is conventions kept here: a vote is 1 = agree, -1 = disagree, 0 = pass (exports
flip Pol.is's internal sign); ``moderated`` is 1 = accepted, 0 = not yet moderated,
-1 = moderated out (kept, and flagged in ``moderated_out``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from consultgraph.errors import InputError

__all__ = ["PolisExport", "read_polis_export", "VOTE_LABELS"]

VOTE_LABELS = {1: "agree", -1: "disagree", 0: "pass"}

# The columns each file must have; the others are read when present.
COMMENT_COLUMNS = ("timestamp", "comment-id", "author-id", "moderated", "comment-body")
VOTE_COLUMNS = ("timestamp", "comment-id", "voter-id", "vote")
PARTICIPANT_COLUMNS = ("participant", "group-id")

_FOLDER_HINT = "a Pol.is export folder holds comments.csv, votes.csv and (optionally) participants-votes.csv"


@dataclass(frozen=True)
class PolisExport:
    """One Pol.is conversation export, with re-votes resolved.

    Attributes
    ----------
    folder : Path
        The export folder.
    layout : str
        ``"classic"`` (openData: ``participants-votes.csv``, no xid) or ``"xid"``
        (newer exports carrying participants' external ids).
    comments : pandas.DataFrame
        One row per statement: ``id``, ``author``, ``text``, ``moderated`` (1, 0, -1),
        ``moderated_out`` (``moderated == -1``), ``timestamp`` (as exported: ms in
        classic exports, s in newer ones), ``time`` (UTC), ``agrees_with_revotes`` and
        ``disagrees_with_revotes``. The last two are Pol.is's own tallies, which
        count superseded re-votes; count :attr:`votes` instead.
    votes : pandas.DataFrame
        The latest vote of each participant on each statement: ``participant``,
        ``statement``, ``vote`` (1 agree, -1 disagree, 0 pass), ``timestamp``, ``time``.
    participants : pandas.DataFrame
        One row per participant (voters, authors and rows of the matrix file):
        ``participant``, ``xid`` (<NA> unless exported), ``polis_group`` (Pol.is's
        ``group-id``; <NA> when Pol.is did not cluster them), ``n_votes``, ``n_agree``,
        ``n_disagree``, ``n_pass`` (from the latest votes) and ``n_comments``.
    summary : dict
        ``summary.csv`` as key -> text (empty when the file is absent).
    n_vote_rows : int
        Rows in ``votes.csv``.
    n_superseded : int
        Rows dropped because the same participant voted on the same statement later.
    """

    folder: Path
    layout: str
    comments: pd.DataFrame = field(repr=False)
    votes: pd.DataFrame = field(repr=False)
    participants: pd.DataFrame = field(repr=False)
    summary: dict = field(default_factory=dict, repr=False)
    n_vote_rows: int = 0
    n_superseded: int = 0

    @property
    def moderated_out(self):
        """Ids of statements a moderator rejected (``moderated == -1``), sorted."""
        return tuple(int(i) for i in sorted(self.comments.loc[self.comments["moderated_out"], "id"]))

    @property
    def has_polis_groups(self):
        """True when the export carries Pol.is's own opinion groups (``group-id``)."""
        return bool(self.participants["polis_group"].notna().any())


def read_polis_export(folder, *, reuse=True):
    """Read a Pol.is export folder, keeping each participant's latest vote per statement.

    Parameters
    ----------
    folder : str or Path
        The export folder. ``comments.csv`` and ``votes.csv`` are required;
        ``participants-votes.csv`` (or ``participant-votes.csv``), ``summary.csv`` and
        an xid file are read when present. File names may carry an export prefix.
    reuse : bool, default True
        Return the export read last when it is the same folder and none of its files
        changed (name, size, modification time): ``consultgraph load`` reads a folder
        for its records and again for its opinion groups. Treat the result as read-only.

    Returns
    -------
    PolisExport

    Raises
    ------
    InputError
        Naming file, line and field: a missing file or column, a non-numeric id,
        timestamp or vote, a vote other than -1/0/1, a duplicate statement id.

    Notes
    -----
    ``votes.csv`` keeps every vote ever cast, re-votes included. The latest one per
    (participant, statement) is found with the numeric ``timestamp`` column (the
    ``datetime`` column is local time text and is ignored); when two votes share a
    timestamp, the later row of the file wins. Pol.is's ``participants-votes.csv``
    matrix holds exactly these latest votes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "comments.csv").write_text(
    ...     "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\\n"
    ...     "1000,x,0,0,2,0,1,Parks matter\\n")
    >>> _ = (folder / "votes.csv").write_text(
    ...     "timestamp,datetime,comment-id,voter-id,vote\\n"
    ...     "1001,x,0,0,-1\\n1002,x,0,1,1\\n1003,x,0,0,1\\n")
    >>> export = read_polis_export(folder)
    >>> export.votes[["participant", "statement", "vote"]].values.tolist()
    [[0, 0, 1], [1, 0, 1]]
    >>> export.n_superseded
    1
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("no such folder", file=folder, hint=_FOLDER_HINT)
    key = (str(folder.resolve()), tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns)
                                        for p in sorted(folder.iterdir()) if p.is_file()))
    if reuse and _LAST_EXPORT.get("key") == key:
        return _LAST_EXPORT["export"]
    export = _read_export(folder)
    _LAST_EXPORT.clear()
    _LAST_EXPORT.update(key=key, export=export)
    return export


#: The export read last, and what its folder held then (see ``reuse`` above).
_LAST_EXPORT = {}


def _read_export(folder):
    comments_path = _find(folder, ("comments.csv",), required=True)
    votes_path = _find(folder, ("votes.csv",), required=True, exclude=("participant-votes.csv", "participants-votes.csv"))
    matrix_path = _find(folder, ("participants-votes.csv", "participant-votes.csv"))
    summary_path = _find(folder, ("summary.csv",))
    xid_path = _find_xid_file(folder)

    comments = _read_comments(comments_path)
    all_votes = _read_votes(votes_path)
    # Stable sort keeps file order among equal timestamps, so the later row wins.
    latest = all_votes.sort_values("timestamp", kind="mergesort")
    latest = latest.drop_duplicates(["participant", "statement"], keep="last")
    latest = latest.sort_values(["statement", "participant"], kind="mergesort").reset_index(drop=True)
    latest["time"] = _to_time(latest["timestamp"])

    matrix = _read_matrix(matrix_path) if matrix_path is not None else None
    xids = _read_xids(xid_path) if xid_path is not None else None
    participants = _participants(latest, comments, matrix, xids)
    has_xid = participants["xid"].notna().any() or (matrix is not None and "xid" in matrix.columns)
    layout = "xid" if has_xid or xid_path is not None else "classic"
    return PolisExport(
        folder=folder,
        layout=layout,
        comments=comments,
        votes=latest,
        participants=participants,
        summary=_read_summary(summary_path) if summary_path is not None else {},
        n_vote_rows=len(all_votes),
        n_superseded=len(all_votes) - len(latest),
    )


# -- finding files -----------------------------------------------------------------


def _find(folder, names, *, required=False, exclude=()):
    """The file in ``folder`` called one of ``names``, with or without an export prefix."""
    matches = []
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        lower = path.name.lower()
        if any(lower == x or lower.endswith("-" + x) for x in exclude):
            continue
        if any(lower == n or lower.endswith("-" + n) for n in names):
            matches.append(path)
    exact = [p for p in matches if p.name.lower() in names]
    if exact:
        return exact[0]
    if len(matches) > 1:
        raise InputError(
            f"more than one file could be {names[0]}: {', '.join(p.name for p in matches)}",
            file=folder,
            hint="keep one Pol.is export per folder",
        )
    if matches:
        return matches[0]
    if required:
        raise InputError(f"missing Pol.is export file '{names[0]}'", file=folder, hint=_FOLDER_HINT)
    return None


def _find_xid_file(folder):
    candidates = [p for p in sorted(folder.glob("*.csv")) if p.name.lower().endswith(("xid.csv", "xids.csv"))]
    return candidates[0] if candidates else None


# -- reading and checking ----------------------------------------------------------


def _read(path, required, numeric=()):
    import warnings

    from consultgraph.loaders.tables import read_csv

    with warnings.catch_warnings():
        # participants-votes.csv has a column per statement; pandas warns about the
        # column-by-column build of such a wide frame, which is harmless here.
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        frame = read_csv(path, numeric=numeric)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        header = [c for c in frame.columns if c != "line"]
        shown = ", ".join(header[:12]) + (", ..." if len(header) > 12 else "")
        raise InputError(
            f"missing column '{missing[0]}'", file=path, line=1, field=missing[0], hint=f"the header has: {shown}"
        )
    return frame


def _numbers(frame, column, path, *, whole=True):
    """``frame[column]`` as numbers; the first bad cell raises naming its line."""
    cells = frame[column]
    if pd.api.types.is_numeric_dtype(cells):  # parsed as numbers by the CSV reader
        values = cells.astype(float)
    else:
        values = pd.to_numeric(cells.astype(object), errors="coerce")
        retry = (values.isna() & cells.notna()).to_numpy()
        if retry.any():  # " 12 ": strip only the cells the parser refused
            stripped = cells[retry].map(lambda value: value.strip() if isinstance(value, str) else value)
            values[retry] = pd.to_numeric(stripped, errors="coerce")
    bad = values.isna().to_numpy()
    if whole:
        bad = bad | (np.mod(values.fillna(0).to_numpy(dtype=float), 1) != 0)
    if bad.any():
        row = int(np.argmax(bad))
        raw = cells.iloc[row]
        line = int(frame["line"].iloc[row])
        if raw is None or pd.isna(raw) or str(raw).strip() == "":
            message = f"empty {column}, expected a number"
        elif pd.isna(values.iloc[row]):
            message = f"{column} '{raw}' is not a number"
        else:
            message = f"{column} '{raw}' is not a whole number"
        raise InputError(message, file=path, line=line, field=column)
    return values.astype("int64") if whole else values.astype(float)


def _timestamps(frame, path):
    values = _numbers(frame, "timestamp", path, whole=False)
    whole = np.mod(values.to_numpy(), 1) == 0
    return values.astype("int64") if whole.all() else values


def _to_time(timestamps):
    """Export timestamps as UTC datetimes: milliseconds in classic exports, seconds in newer ones."""
    values = pd.to_numeric(timestamps)
    if values.empty:
        return pd.Series(pd.DatetimeIndex([], tz="UTC"), index=timestamps.index)
    unit = "ms" if values.abs().max() > 1e11 else "s"
    return pd.to_datetime(values, unit=unit, utc=True)


def _read_comments(path):
    frame = _read(path, COMMENT_COLUMNS)
    ids = _numbers(frame, "comment-id", path)
    duplicated = ids.duplicated().to_numpy()
    if duplicated.any():
        row = int(np.argmax(duplicated))
        raise InputError(
            f"comment-id {ids.iloc[row]} appears twice", file=path, line=int(frame["line"].iloc[row]), field="comment-id"
        )
    moderated = _numbers(frame, "moderated", path)
    _only_minus_one_to_one(moderated, frame, path, "moderated",
                           lambda row: f"moderated {moderated.iloc[row]} is not one of 1, 0, -1",
                           "1 = accepted, 0 = not yet moderated, -1 = moderated out")
    out = pd.DataFrame(
        {
            "id": ids.to_numpy(),
            "author": _numbers(frame, "author-id", path).to_numpy(),
            "text": frame["comment-body"].fillna("").astype(str).to_numpy(),
            "moderated": moderated.to_numpy(),
            "moderated_out": (moderated == -1).to_numpy(),
            "timestamp": _timestamps(frame, path).to_numpy(),
        }
    )
    out["time"] = _to_time(out["timestamp"])
    for column, name in (("agrees", "agrees_with_revotes"), ("disagrees", "disagrees_with_revotes")):
        if column in frame.columns:
            out[name] = _numbers(frame, column, path).to_numpy()
    return out.sort_values("id", kind="mergesort").reset_index(drop=True)


def _only_minus_one_to_one(values, frame, path, field, message, hint):
    """Raise at the first value that is not -1, 0 or 1; ``message(row)`` says what it is."""
    outside = ~values.isin([-1, 0, 1]).to_numpy()
    if outside.any():
        row = int(np.argmax(outside))
        raise InputError(message(row), file=path, line=int(frame["line"].iloc[row]), field=field, hint=hint)


def _read_votes(path):
    # numbers parsed by the CSV reader; a cell that is not one sends the file to the exact
    # reader, where _numbers names its line
    frame = _read(path, VOTE_COLUMNS, numeric=("timestamp", "comment-id", "voter-id", "vote"))
    votes = _numbers(frame, "vote", path, whole=False)
    _only_minus_one_to_one(votes, frame, path, "vote",
                           lambda row: f"vote '{votes.iloc[row]:g}' is not one of 1, -1, 0",
                           "1 = agree, -1 = disagree, 0 = pass")
    return pd.DataFrame(
        {
            "participant": _numbers(frame, "voter-id", path).to_numpy(),
            "statement": _numbers(frame, "comment-id", path).to_numpy(),
            "vote": votes.astype("int64").to_numpy(),
            "timestamp": _timestamps(frame, path).to_numpy(),
        }
    )


def _read_matrix(path):
    """The participant rows of ``participants-votes.csv``: ids, xid and Pol.is's group-id."""
    frame = _read(path, PARTICIPANT_COLUMNS)
    out = pd.DataFrame({"participant": _numbers(frame, "participant", path).to_numpy()})
    if "xid" in frame.columns:
        out["xid"] = frame["xid"].astype("string").to_numpy()
    groups = frame["group-id"]
    present = groups.notna() & (groups.astype(str).str.strip() != "")
    out["polis_group"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    if present.any():
        out.loc[present.to_numpy(), "polis_group"] = _numbers(frame[present], "group-id", path).to_numpy()
    return out


def _read_xids(path):
    frame = _read(path, ("participant", "xid"))
    return pd.DataFrame(
        {"participant": _numbers(frame, "participant", path).to_numpy(), "xid": frame["xid"].astype("string").to_numpy()}
    )


def _read_summary(path):
    import csv

    summary = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for row in csv.reader(handle):
            if row and row[0].strip():
                summary[row[0].strip()] = ",".join(row[1:]).strip()
    return summary


def _participants(votes, comments, matrix, xids):
    ids = set(votes["participant"]) | set(comments["author"])
    if matrix is not None:
        ids |= set(matrix["participant"])
    out = pd.DataFrame({"participant": np.array(sorted(ids), dtype="int64")})
    out["xid"] = pd.array([pd.NA] * len(out), dtype="string")
    out["polis_group"] = pd.array([pd.NA] * len(out), dtype="Int64")
    position = pd.Series(np.arange(len(out)), index=out["participant"])
    if matrix is not None:
        rows = position[matrix["participant"]].to_numpy()
        out.loc[rows, "polis_group"] = matrix["polis_group"].to_numpy()
        if "xid" in matrix.columns:
            out.loc[rows, "xid"] = matrix["xid"].to_numpy()
    if xids is not None:
        known = xids[xids["participant"].isin(position.index)]
        out.loc[position[known["participant"]].to_numpy(), "xid"] = known["xid"].to_numpy()
    by_vote = votes.groupby(["participant", "vote"]).size().unstack(fill_value=0)
    for vote, name in ((1, "n_agree"), (-1, "n_disagree"), (0, "n_pass")):
        counts = by_vote[vote] if vote in by_vote.columns else pd.Series(dtype="int64")
        out[name] = counts.reindex(out["participant"]).fillna(0).astype("int64").to_numpy()
    out.insert(3, "n_votes", out["n_agree"] + out["n_disagree"] + out["n_pass"])
    authored = comments.groupby("author").size()
    out["n_comments"] = authored.reindex(out["participant"]).fillna(0).astype("int64").to_numpy()
    return out


# ---------------------------------------------------------------- graph records


def _letter(number):
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[int(number)] if int(number) < 26 else str(int(number))


def read_polis(path, *, namespace=None, source_id=None):
    """Yield graph records for a Pol.is export folder.

    Participants become Respondents of the ``public`` group (ids
    ``respondent/<conversation>/p<id>``), comments become Statements (moderated-out ones
    kept, with ``moderated = -1``), latest votes become VOTED edges (vote 1/-1/0 and the
    numeric timestamp). Opinion groups become stakeholder groups under ``public``, with
    IN_OPINION_GROUP edges: Pol.is's own ``group-id`` (``<conversation>/polis-A`` ...)
    when the export has it. The groups computed the Pol.is way (``<conversation>/opinion-1``
    ...) are analysis, not reading: the pipeline's caller adds them with the step
    :func:`consultgraph.queries.opinion_groups.opinion_group_records`.
    """
    from consultgraph.graph.records import EdgeTable, NodeTable

    export = read_polis_export(path)
    conversation = conversation_of(path, namespace)
    file = str(path)

    def person(pid):
        return participant_id(conversation, pid)

    people = export.participants
    nodes = pd.DataFrame({
        "id": [person(p) for p in people["participant"]],
        "label": [f"participant {int(p)} ({conversation})" for p in people["participant"]],
        "polis_id": people["participant"].astype(str).to_numpy(),
        "line": None,
    })
    yield NodeTable("Respondent", nodes, file=file)
    yield EdgeTable("MEMBER_OF", pd.DataFrame({"source": nodes["id"], "target": "group/public", "line": None}), file=file)

    comments = export.comments
    statement_ids = [f"statement/{conversation}/{int(i)}" for i in comments["id"]]
    statements = pd.DataFrame({
        "id": statement_ids,
        "label": comments["text"].astype(str).str.slice(0, 80).to_numpy(),
        "text": comments["text"].astype(str).to_numpy(),
        "moderated": comments["moderated"].astype(int).to_numpy(),
        "polis_id": comments["id"].astype(str).to_numpy(),
        "line": None,
    })
    yield NodeTable("Statement", statements, file=file)
    authors = comments["author"].notna()
    yield EdgeTable("AUTHORED", pd.DataFrame({
        "source": [person(a) for a in comments.loc[authors, "author"]],
        "target": [s for s, keep in zip(statement_ids, authors) if keep],
        "line": None,
    }), file=file)
    votes = export.votes
    yield EdgeTable("VOTED", pd.DataFrame({
        "source": [person(p) for p in votes["participant"]],
        "target": [f"statement/{conversation}/{int(s)}" for s in votes["statement"]],
        "vote": votes["vote"].astype(int).to_numpy(),
        "timestamp": votes["timestamp"].astype(float).to_numpy(),
        "line": None,
    }), file=file)

    if export.has_polis_groups:
        polis = people.set_index("participant")["polis_group"].dropna().map(_letter)
        yield from opinion_group_records(polis, conversation, export, "polis", "Pol.is group", file=file)


def conversation_of(path, namespace=None):
    """The conversation's id: ``namespace``, else the export folder's name as a slug."""
    from consultgraph.graph.concepts import slugify

    return namespace or slugify(Path(path).name)


def participant_id(conversation, participant):
    """The respondent id of a Pol.is participant: ``respondent/<conversation>/p<id>``."""
    return f"respondent/{conversation}/p{int(participant)}"


def opinion_group_records(labels, conversation, export, prefix, title, *, file=None):
    """Stakeholder groups ``<conversation>/<prefix>-<label>`` under ``public`` and each
    participant's IN_OPINION_GROUP edge, from ``labels`` (participant -> group label)."""
    from consultgraph.graph.records import Edge, EdgeTable, Node

    topic = export.summary.get("topic") or export.folder.name
    labels = labels.dropna()
    for value in sorted(labels.unique()):
        group_id = f"group/{conversation}/{prefix}-{value}"
        yield Node("StakeholderGroup", group_id, {
            "label": f"{title} {value} ({topic})",
            "scheme": f"scheme/{conversation}-opinion-groups",
        }, file=file)
        yield Edge("BROADER", group_id, "group/public", file=file)
    yield EdgeTable("IN_OPINION_GROUP", pd.DataFrame({
        "source": [participant_id(conversation, p) for p in labels.index],
        "target": [f"group/{conversation}/{prefix}-{v}" for v in labels],
        "line": None,
    }), file=file)
