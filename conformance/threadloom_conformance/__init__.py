"""Conformance: record old-client transcripts, replay them against new servers, fuzz request params.

Modules: `transcript` (format, load/save), `paths` and `matching` (matchers, volatiles),
`protocol` (raw protocol documents, validation), `transport` (stdio, HTTP + SSE), `replay`,
`report`, `record`, `mutate` (broken server variants), `fuzz` and `suite_support` (the generated
pytest suite). See README.md.
"""
