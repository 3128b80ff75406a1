"""Source formats. Each module turns one kind of schema source into the intermediate model.

A format module exposes:

- `NAME`: how users force it (`--format NAME`) and how findings name it;
- `recognises(source: Path) -> bool`: a cheap sniff of a file or folder;
- `load(source: Path) -> list[Protocol]`: every version the source holds, oldest first; problems
  it cannot get past raise `InputError(file, message, pointer, hint)`, things it mapped by
  guesswork go into `Protocol.notes`.

Threadloom's own format is `threadloom`; adapters for other vendors' exports (Codex's
`generate-json-schema` folder, ACP's `schema.json`) are modules beside it.
"""

from threadloom.formats import codex, threadloom

FORMATS = (threadloom, codex)
