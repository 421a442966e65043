"""Write the review file of ``code --review``: a sheet (CSV/TSV/XLSX) or a REFI-QDA project.

In a sheet people fill the ``codes`` column (labels separated by ';', or ``none`` when no
code applies; empty: skipped) and put their name in ``coder``; an XLSX says so in its
"instructions" sheet. In a ``.qdpx`` (NVivo, ATLAS.ti, QualCoder) each response is a
source whose suggested codes are coded on its whole text, to delete, keep or add to, and
the code book has a "none apply" code. Either file goes back with ``code --reviewed FILE``.
"""

from __future__ import annotations

from pathlib import Path

from consultgraph.coding.review import INSTRUCTIONS, NONE_APPLY_CODE, labels_of
from consultgraph.errors import UnknownNameError

FORMATS = (".csv", ".tsv", ".xlsx", ".qdpx")
SUGGESTING_USER = "suggested"


def check_review_path(path):
    """``path`` as a :class:`~pathlib.Path` if its suffix is a review file type; else :class:`UnknownNameError`.

    Examples
    --------
    >>> check_review_path("review.XLSX").name
    'review.XLSX'
    """
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise UnknownNameError("review file type", path.suffix.lower() or path.name, FORMATS)
    return path


def write_review(rows, codebook, path, *, columns=None):
    """Write review ``rows`` (from :func:`consultgraph.coding.review.review_items`) to ``path``.

    ``codebook`` (rows of id, label, kind, definition) is the second sheet of an XLSX and
    the code book of a QDPX. The format follows the suffix; the write is atomic.
    """
    import pandas as pd

    from consultgraph.graph.store import atomic_write

    path = check_review_path(path)
    suffix = path.suffix.lower()
    if suffix == ".qdpx":
        return _write_qdpx(rows, codebook, path)
    frame = pd.DataFrame(rows, columns=columns or (list(rows[0]) if rows else None))
    if suffix == ".xlsx":
        def write(tmp):
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                frame.to_excel(writer, sheet_name="review", index=False)
                pd.DataFrame(codebook, columns=["id", "label", "kind", "definition"]).to_excel(
                    writer, sheet_name="codebook", index=False)
                pd.DataFrame({"how to review": list(INSTRUCTIONS)}).to_excel(
                    writer, sheet_name="instructions", index=False)
        return atomic_write(path, write)
    separator = "\t" if suffix == ".tsv" else ","
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, sep=separator, encoding="utf-8"))


def _write_qdpx(rows, codebook, path):
    from consultgraph.loaders import qdpx_model as qdpx
    from consultgraph.outputs.qdpx import write_qdpx

    user = qdpx.User(guid=qdpx.make_guid("user", SUGGESTING_USER), name=SUGGESTING_USER)
    codes = [qdpx.Code(guid=qdpx.make_guid("code", c["id"]), name=c["label"], description=c["definition"] or None)
             for c in codebook]
    codes.append(qdpx.Code(guid=qdpx.make_guid("code", NONE_APPLY_CODE), name=NONE_APPLY_CODE,
                           description="Apply (alone) to a response none of the codes fits: recorded as reviewed, "
                                       "with no code. A response left without codes is skipped."))
    guid_of = {**{c["label"]: code.guid for c, code in zip(codebook, codes)}, NONE_APPLY_CODE: codes[-1].guid}
    variables = (qdpx.Variable(guid=qdpx.make_guid("variable", "response"), name="response"),
                 qdpx.Variable(guid=qdpx.make_guid("variable", "check"), name="check"))
    sources, selections = [], []
    for row in rows:
        source = qdpx.make_guid("response", row["response"])
        text = str(row["text"])
        sources.append(qdpx.Source(guid=source, name=row["response"], plain_text=text,
                                   variables={"response": row["response"], "check": row["check"]}))
        suggested = [label for label in labels_of(row["suggested"]) if label in guid_of]
        if suggested and text:
            codings = tuple(qdpx.Coding(guid=qdpx.make_guid("coding", row["response"], label), code=guid_of[label],
                                        creating_user=user.guid) for label in suggested)
            selections.append(qdpx.PlainTextSelection(
                guid=qdpx.make_guid("selection", row["response"]), source=source, start_position=0,
                end_position=len(text), text=text, codings=codings, creating_user=user.guid))
    project = qdpx.QdaProject(name="consultgraph review", origin="consultgraph", users=(user,), codes=tuple(codes),
                              variables=variables, sources=tuple(sources), selections=tuple(selections))
    return write_qdpx(project, path)
