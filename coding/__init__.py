"""Coding free text: the machine coders (codebook rules, learned codes), the review loop,
coder agreement, campaign detection and theme discovery (issue 12).

The layer sits between ``queries/`` and ``outputs/``. Its input is the graph's free text
and codings, read through two views of :class:`~consultgraph.graph.consultation.Consultation`:

- ``graph.responses(question=None)``: one row per Response node (id, respondent, question,
  text, group, region, and its properties such as ``position`` or ``pages``);
- ``graph.codings(coder=...)``: MENTIONS/PROPOSES codings with ``response``, ``question``,
  ``coder`` (None: people; ``machine:...``: a machine coder) and ``confidence``;
  ``coder`` is ``"auto"`` (people where they coded, the machine elsewhere), ``"human"``,
  ``"machine"``, ``"all"`` or one coder's exact name. ``graph.with_coder(c)`` makes that
  choice for every query that reads ``graph.codings()``.

Machine codings are written back as records (``Edge("MENTIONS", response_id, concept_id,
{"coder": ..., "confidence": ..., "evidence": ...})``) through the translator like any load.
"""

from __future__ import annotations

from consultgraph.graph.consultation import CODER_CHOICES, MACHINE_PREFIX, is_machine

__all__ = ["CODER_CHOICES", "MACHINE_PREFIX", "is_machine"]
