"""Source formats. Each module turns one kind of schema document into the intermediate model.

A format module exposes `recognises(document) -> bool` and `to_model(document, source) -> Protocol`.
Adapters for other vendors' exports (e.g. Codex's draft-07 bundle) are added here as new modules.
"""

from threadloom.generator.formats import threadloom

FORMATS = (threadloom,)
