"""consultgraph: a stakeholder consultation as a knowledge graph.

Load coded submissions, published findings, Pol.is and REFI-QDA exports into one
graph of respondents, stakeholder groups, regions, concepts and quotes, and ask it
the questions analysts ask: where do groups diverge, what is consensus, who said what.
"""

from consultgraph.errors import (  # noqa: F401
    BackendUnavailable,
    ConsultGraphError,
    InputError,
    QueryError,
    SchemaError,
    StoreError,
    UnknownNameError,
)

__version__ = "0.1.0"
