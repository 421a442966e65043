"""The campaign view: the graph with each campaign counted as it is, once, or not at all.

``consultgraph campaigns`` stores near-duplicate responses as Campaign nodes with
IN_CAMPAIGN members. :func:`campaign_view` is the one place that applies
``--campaigns count|one|exclude``: it returns a graph without the dropped members (and
their responses and quotes), so every view built on respondents and codings follows.
"""

from __future__ import annotations

from consultgraph.errors import UnknownNameError

CAMPAIGN_MODES = ("count", "one", "exclude")


def campaign_members(graph):
    """One row per campaign member: campaign, respondent, similarity, representative (bool).

    Examples
    --------
    >>> from consultgraph.graph.consultation import Consultation
    >>> len(campaign_members(Consultation()))
    0
    """
    import pandas as pd

    edges = graph.edges_of("IN_CAMPAIGN")
    campaigns = graph.table("Campaign")
    representative = dict(zip(campaigns["id"], campaigns["representative"])) if "representative" in campaigns else {}
    frame = pd.DataFrame({"campaign": edges["target"].to_numpy(), "respondent": edges["source"].to_numpy()})
    from consultgraph.graph.model import edge_attributes

    frame["similarity"] = [edge_attributes(None, None, p).get("similarity") for p in edges["props"]]
    frame["representative"] = frame["respondent"].to_numpy() == frame["campaign"].map(representative).to_numpy()
    return frame


def campaign_view(graph, mode="count"):
    """``graph`` with campaigns counted as ``mode`` says.

    Parameters
    ----------
    graph : Consultation
    mode : {"count", "one", "exclude"}
        ``count``: every member counts (the graph as it is); ``one``: each campaign counts
        once, through its representative member (the others are left out); ``exclude``:
        every member is left out.

    Returns
    -------
    Consultation
        The same object for ``count`` or when there are no campaigns; else a new graph
        without the left-out respondents, their responses and quotes, and every
        relationship touching them. Its ``campaign_mode`` and ``campaign_dropped`` say
        what was done.

    Examples
    --------
    >>> from consultgraph.graph.consultation import Consultation
    >>> graph = Consultation()
    >>> campaign_view(graph, "one") is graph
    True
    >>> campaign_view(graph, "once")
    Traceback (most recent call last):
    ...
    consultgraph.errors.UnknownNameError: unknown campaign mode 'once'; choose one of: count, exclude, one
    """
    if mode not in CAMPAIGN_MODES:
        raise UnknownNameError("campaign mode", mode, CAMPAIGN_MODES)
    if mode == "count":
        return graph
    members = campaign_members(graph)
    if not len(members):
        return graph
    leaving = members if mode == "exclude" else members[~members["representative"]]
    dropped = set(leaving["respondent"])
    edges = graph.edges
    # what the left-out respondents wrote or said goes with them
    owned = edges["kind"].isin(("WROTE", "SAID")) & edges["source"].isin(dropped)
    gone = dropped | set(edges.loc[owned, "target"])
    nodes = graph.nodes[~graph.nodes["id"].isin(gone)]
    edges = edges[~(edges["source"].isin(gone) | edges["target"].isin(gone))]
    view = type(graph)(nodes, edges, name=graph.name, manifest=graph.manifest)
    for attribute in ("coder",):  # choices made on the graph carry over to its view
        if hasattr(graph, attribute):
            setattr(view, attribute, getattr(graph, attribute))
    view.campaign_mode = mode
    view.campaign_dropped = len(dropped)
    return view
