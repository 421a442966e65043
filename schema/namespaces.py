"""RDF namespaces of consultgraph, as fixed vocabularies that fail on typos."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DefinedNamespace

#: Base of every node IRI: ``ID + "theme/escr"``.
ID = Namespace("https://w3id.org/consultgraph/id/")


class CG(DefinedNamespace):
    """The consultgraph ontology (schema/ontology.ttl)."""

    _NS = Namespace("https://w3id.org/consultgraph/ontology#")
    _fail = True

    # classes
    Respondent: object
    Quote: object
    Finding: object
    Source: object
    Statement: object
    StakeholderGroup: object
    Region: object
    Theme: object
    Tactic: object
    Approach: object
    Idea: object
    PartnerType: object
    Audience: object
    Response: object
    Question: object
    # annotations
    idPrefix: object
    relationshipType: object
    key: object
    kind: object
    edgeProperty: object
    conceptKind: object
    qualification: object
    qualifiedForm: object
    codeable: object
    order: object
    # relationships
    memberOf: object
    basedIn: object
    worksIn: object
    mentions: object
    proposes: object
    said: object
    illustrates: object
    broader: object
    forGroup: object
    about: object
    inRegion: object
    hasBase: object
    sumOf: object
    fromSource: object
    voted: object
    inOpinionGroup: object
    authored: object
    outOfFold: object
    # qualified relationships
    QualifiedRelationship: object
    target: object
    qualifiedMention: object
    qualifiedProposal: object
    qualifiedIllustration: object
    qualifiedSource: object
    qualifiedVote: object
    qualifiedCampaignMembership: object
    qualifiedOutOfFold: object
    wrote: object
    answers: object
    quotedFrom: object
    # properties
    label: object
    name: object
    text: object
    section: object
    stance: object
    weight: object
    measure: object
    count: object
    base: object
    baseNote: object
    reportedPercent: object
    assessment: object
    rank: object
    note: object
    statement: object
    sourceLine: object
    definition: object
    scheme: object
    altLabels: object
    title: object
    file: object
    publisher: object
    issued: object
    vote: object
    timestamp: object
    moderated: object
    polisId: object
    coder: object
    confidence: object
    evidence: object
    start: object
    end: object
    page: object
    paragraph: object
    pages: object
    position: object
    attributes: object
    hiddenLabels: object
    decision: object
