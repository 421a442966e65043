"""Positions: how many responses to a question agree, disagree or are unclear, per group.

People's ``position`` where they gave one; the machine's ``machine_position`` (see
``consultgraph code``) elsewhere, as the graph's ``--coder`` choice says.
"""

from __future__ import annotations

from consultgraph.graph.coders import AUTO, MACHINE_PREFIX

POSITIONS = ("agree", "disagree", "unclear")


def position_of(responses, coder=AUTO):
    """Each response's position under ``coder`` and whose it is: ``(positions, by_machine)``.

    ``human``: people's only; ``machine`` (or a ``machine:position@`` name): the machine's
    only; ``auto`` and ``all``: people's where given, else the machine's (a response never
    has both); another name (a person): people's.
    """
    import pandas as pd

    people = responses["position"] if "position" in responses else pd.Series(None, index=responses.index, dtype=object)
    machine = (responses["machine_position"] if "machine_position" in responses
               else pd.Series(None, index=responses.index, dtype=object))
    if coder == "machine" or str(coder).startswith(MACHINE_PREFIX):
        if str(coder).startswith(MACHINE_PREFIX + "position@") and "position_coder" in responses:
            machine = machine.where(responses["position_coder"] == coder)
        return machine, machine.notna()
    if coder in (AUTO, "all"):
        chosen = people.where(people.notna(), machine)
        return chosen, people.isna() & machine.notna()
    return people, pd.Series(False, index=responses.index)


def positions(graph, *, question=None):
    """One row per question, group and position: count of the group's responses to it, with the share.

    Parameters
    ----------
    graph : Consultation
        A project with Response nodes (positions from people, or from ``code``).
    question : str, optional
        Only this question (id, its last part, or label).

    Returns
    -------
    list of dict
        question, group, position, count, base (the group's responses with a position),
        share ("69% (37 of 53)"), machine (how many of the count are the machine's).

    Examples
    --------
    >>> from consultgraph.graph.consultation import Consultation
    >>> positions(Consultation())
    []
    """
    from consultgraph.queries.shares_format import format_share

    responses = graph.responses()
    if not len(responses):
        return []
    if question is not None:
        questions = graph.questions()
        wanted = [q for q, label in zip(questions["id"], questions["label"]) if question in (q, label, q.split("/", 1)[-1])]
        if not wanted:
            from consultgraph.errors import UnknownNameError

            raise UnknownNameError("question", question, list(questions["id"]))
        responses = responses[responses["question"] == wanted[0]]
    chosen, by_machine = position_of(responses, graph.coder)
    frame = responses.assign(_position=chosen, _machine=by_machine)
    frame = frame[frame["_position"].notna()]
    concepts = graph.concepts
    labels = dict(zip(graph.questions()["id"], graph.questions()["label"]))
    rows = []
    for (asked, group), block in frame.groupby([frame["question"].fillna(""), frame["group"].fillna("")], sort=True):
        base = len(block)
        for position in sorted(set(block["_position"]), key=lambda p: (POSITIONS + (p,)).index(p)):
            picked = block[block["_position"] == position]
            rows.append({
                "question": labels.get(asked, asked), "group": concepts[group].label if group in concepts else group,
                "position": position, "count": len(picked), "base": base,
                "share": format_share(len(picked), base), "machine": int(picked["_machine"].sum()),
            })
    return rows
