"""Outputs: what people look at or take away from a consultation graph.

Tables (render), export formats, charts, the interactive graph page and the report.
This layer reads ``queries/`` and the graph core; only ``cli/`` sits above it.
"""
