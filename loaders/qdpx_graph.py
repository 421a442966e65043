"""REFI-QDA projects in the graph: codes, cases and coded text become records.

In: the code tree becomes a project concept scheme (a code whose name is a known label —
"Research", "Climate change" — maps onto that concept; ``code_map`` maps others), cases
with variables become respondents (group and region from named variables), or each text
source becomes one respondent; coded text selections become quotes said by their
respondent and illustrating their codes; each respondent MENTIONS the codes applied to
their text (weight = codings) and the codes their case carries (case-level codings), with
the stance a "stance: <code name>" case variable gives (as consultgraph's export writes).

The graph back out as a .qdpx is :mod:`consultgraph.outputs.qdpx`.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

from consultgraph.errors import InputError, LoadWarning
from consultgraph.graph.concepts import slugify
from consultgraph.graph.model import codeable_kinds, mentioned_kinds
from consultgraph.graph.records import Edge, Node, Ref
from consultgraph.loaders.qdpx_model import STANCE_VARIABLE

#: The question a REFI-QDA text source answers as a Response (as a documents folder's files do).
DOCUMENT_QUESTION = "document"



def read_code_map(path):
    """A CSV ``code,concept``: QDA code names (or paths a::b) -> concept ids or labels."""
    mapping = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or {"code", "concept"} - {f.strip() for f in reader.fieldnames}:
            raise InputError("a code map needs the columns code,concept", file=path, line=1)
        for number, row in enumerate(reader, start=2):
            if not (row.get("code") or "").strip() or not (row.get("concept") or "").strip():
                raise InputError("empty code or concept", file=path, line=number)
            mapping[row["code"].strip()] = row["concept"].strip()
    return mapping


def read_qdpx_records(path, *, namespace=None, source_id=None, group="public", group_variable=None,
                      region_variable=None, respondent_per_source=False, code_map=None, concepts=None):
    """Yield graph records for a .qdpx / .qde file (see the module docstring).

    ``concepts`` (a ConceptIndex) decides which code names are known labels; codes that
    are not become ``Idea`` concepts of the project scheme.
    """
    from consultgraph.graph.store import schema_concepts
    from consultgraph.loaders.qdpx import read_qdpx

    project = read_qdpx(path)
    for warning in project.warnings:  # what the project holds that is not loaded, or read with care
        warnings.warn(LoadWarning(f"{Path(path).name}: {warning}"), stacklevel=2)
    ns = namespace or slugify(Path(path).stem)
    file = str(path)
    index = concepts if concepts is not None else schema_concepts()
    mapping = read_code_map(code_map) if isinstance(code_map, (str, Path)) else dict(code_map or {})

    # ---- codes: known label -> that concept; else a project Idea under its parent
    concept_of = {}
    scheme = f"scheme/{ns}-codes"
    for code in project.codes:  # parents come before children
        path_name = "::".join(project.code_path(code.guid))
        target = mapping.get(path_name) or mapping.get(code.name)
        if target is not None:
            concept_of[code.guid] = index.resolve(target, codeable_kinds(), prefer=mentioned_kinds(), file=code_map,
                                                  field="concept") if target not in index else target
            continue
        known = index.candidates(code.name, codeable_kinds())
        if len(known) == 1:
            concept_of[code.guid] = known[0]
            continue
        idea = f"idea/{ns}/{slugify(path_name)}"
        concept_of[code.guid] = idea
        props = {"label": code.name, "scheme": scheme}
        if code.description:
            props["definition"] = code.description
        yield Node("Idea", idea, props, file=file)
        if code.parent and code.parent in concept_of:
            yield Edge("BROADER", idea, concept_of[code.parent], file=file)

    # ---- respondents: cases, or one per source
    respondent_of_source = {}
    seen = set()

    def respondent(key, name, variables):
        node_id = f"respondent/{ns}/{slugify(key)}"
        if node_id in seen:
            return node_id
        seen.add(node_id)
        yield_group = group
        if group_variable:
            value = variables.get(group_variable)
            if value in (None, ""):
                raise InputError(f"case or source '{name}' has no value for variable '{group_variable}'",
                                 file=path, field=group_variable)
            yield_group = str(value)
        records.append(Node("Respondent", node_id, {"label": name or key}, file=file))
        records.append(Edge("MEMBER_OF", node_id, Ref(yield_group, ("StakeholderGroup",)),
                            {"_field": group_variable or "group"}, file=file))
        if region_variable and variables.get(region_variable) not in (None, ""):
            records.append(Edge("BASED_IN", node_id, Ref(str(variables[region_variable]), ("Region",)),
                                {"_field": region_variable}, file=file))
        return node_id

    records = []
    if group_variable and project.cases and not any(group_variable in c.variables for c in project.cases):
        names = sorted({v for c in project.cases for v in c.variables})
        raise InputError(f"no case has the variable '{group_variable}'", file=path, field="group_variable",
                         hint=f"variables: {', '.join(names) or 'none'}")
    # codes a case carries itself (consultgraph writes every coding so, quote or not) and
    # the stances its "stance: <code name>" variables give
    case_codings = {}
    for case in project.cases:
        node_id = respondent(case.guid, case.name, dict(case.variables))
        for source in case.sources:
            respondent_of_source.setdefault(source, node_id)
        names = {}
        for guid in case.codes:
            if guid in concept_of:
                case_codings.setdefault((node_id, concept_of[guid]), [])
                names.setdefault(project.code(guid).name, concept_of[guid])
        for variable, value in case.variables.items():
            if str(variable).startswith(STANCE_VARIABLE) and value not in (None, ""):
                concept = names.get(str(variable)[len(STANCE_VARIABLE):])
                if concept is None:
                    raise InputError(f"case '{case.name}' has '{variable}' but not that code", file=path, field=variable)
                case_codings[(node_id, concept)] = [s.strip() for s in str(value).split(";") if s.strip()]
    if respondent_per_source:
        for source in project.sources:
            if source.guid not in respondent_of_source:
                respondent_of_source[source.guid] = respondent(source.guid, source.name, dict(source.variables))
    yield from records
    own_export = project.origin == "consultgraph"

    # ---- text sources of a speaker become Responses to the question "document": `code` reads
    # them, learns from the codings people made in them, and their quotes sit in them
    response_of_source = {}
    if not own_export:
        from consultgraph.loaders.freetext import question_id, response_id

        for source in project.sources:
            speaker = respondent_of_source.get(source.guid)
            if speaker is None or not (source.plain_text or "").strip():
                continue
            if not response_of_source:
                yield Node("Question", question_id(DOCUMENT_QUESTION), {"label": DOCUMENT_QUESTION}, file=file)
            response = response_id(f"{ns}-{slugify(source.guid)}", DOCUMENT_QUESTION)
            response_of_source[source.guid] = response
            yield Node("Response", response, {"text": source.plain_text, "label": source.name or source.guid}, file=file)
            yield Edge("WROTE", speaker, response, file=file)
            yield Edge("ANSWERS", response, question_id(DOCUMENT_QUESTION), file=file)

    # ---- selections: quotes and codings (each coding keeps who made it: its user, else the selection's)
    coder_of = {user.guid: user.name or user.id or user.guid for user in project.users}
    mentions = {}  # (speaker or their response, concept) -> {coder: count}
    for selection in project.selections:
        speaker = respondent_of_source.get(selection.source)
        response = response_of_source.get(selection.source)
        codes = [concept_of[c] for c in selection.codes if c in concept_of]
        if selection.text and selection.text.strip():
            quote = f"quote/{ns}/{selection.guid}"
            text = selection.text.strip()
            source_name = project.source(selection.source).name if selection.source else None
            props = {"text": text, "label": text[:80], "section": source_name or ""}
            if getattr(selection, "start_position", None) is not None:  # offsets in the source's plain text
                props.update(start=int(selection.start_position), end=int(selection.end_position))
            yield Node("Quote", quote, props, file=file)
            coder_by_concept = {concept_of[c.code]: coder_of.get(c.creating_user or selection.creating_user)
                                for c in selection.codings if c.code in concept_of}
            for concept in dict.fromkeys(codes):
                who = coder_by_concept.get(concept)
                yield Edge("ILLUSTRATES", quote, concept, {"coder": str(who)} if who else {}, file=file)
            if response:
                yield Edge("QUOTED_FROM", quote, response, file=file)
            if speaker:
                yield Edge("SAID", speaker, quote, file=file)
            else:
                yield Edge("FOR_GROUP", quote, Ref(group, ("StakeholderGroup",)), {"_field": "group"}, file=file)
            if source_id:
                yield Edge("FROM_SOURCE", quote, source_id, file=file)
        if speaker:
            for coding in selection.codings:
                if coding.code in concept_of:
                    coder = coder_of.get(coding.creating_user or selection.creating_user)
                    counts = mentions.setdefault((response or speaker, concept_of[coding.code]), {})
                    counts[coder] = counts.get(coder, 0) + 1
    # in consultgraph's own export a case's codes are its codings and a quote's codes say only
    # what the quote illustrates; from other tools, coded text is a coding of its speaker
    for key in sorted(set(case_codings) if own_export else set(mentions) | set(case_codings)):
        speaker, concept = key
        by_coder = {} if own_export else mentions.get(key, {})
        for stance in case_codings.get(key) or ["mention"]:
            if not by_coder:
                weight = float(sum(mentions.get(key, {}).values()) or 1)
                yield Edge("CODED", speaker, concept, {"stance": stance, "weight": weight}, file=file)
            for coder, count in sorted(by_coder.items(), key=lambda item: str(item[0])):
                props = {"stance": stance, "weight": float(count)}
                if coder is not None:
                    props["coder"] = str(coder)
                yield Edge("CODED", speaker, concept, props, file=file)
