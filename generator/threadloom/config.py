"""The generate config file, `threadloom.gen.json` (in the spirit of buf.gen.yaml).

```json
{
  "protocol": "protocol",
  "targets": [
    {"target": "python", "out": "bindings/python", "package": "threadloom_protocol", "options": {}},
    {"target": "docs", "out": "."}
  ]
}
```

Paths are relative to the file's folder, the project root. Plain `threadloom generate [TARGET...]`
and `threadloom generate --check` run the listed targets (all of them, or the ones named); a target
may appear more than once with different output folders.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from threadloom.errors import InputError, pointer_join
from threadloom.findings import display_path
from threadloom.generate import Context, Job
from threadloom.jsonio import read_json

CONFIG_NAME = "threadloom.gen.json"

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["targets"],
    "additionalProperties": False,
    "properties": {
        "$comment": {"type": "string"},
        "protocol": {"type": "string", "minLength": 1},
        "sourceFormat": {"type": "string", "minLength": 1},
        "targets": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["target", "out"],
                "additionalProperties": False,
                "properties": {
                    "target": {"type": "string", "minLength": 1},
                    "out": {"type": "string", "minLength": 1},
                    "package": {"type": "string", "minLength": 1},
                    "options": {"type": "object"},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Config:
    file: Path
    data: dict[str, Any]

    @property
    def root(self) -> Path:
        return self.file.parent

    @property
    def protocol(self) -> Path:
        return self.root / str(self.data.get("protocol", "protocol"))


def find_config(root: Path) -> Config | None:
    file = root / CONFIG_NAME
    return read_config(file) if file.is_file() else None


def read_config(file: Path) -> Config:
    data = read_json(file)
    for error in _validator().iter_errors(data):
        raise InputError(display_path(file), f"not a valid generate config: {error.message}", pointer_join(*error.absolute_path), "see protocol/README.md")
    return Config(file=file, data=data)


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(SCHEMA)


def jobs_from_config(config: Config, protocol: Path | None = None) -> list[Job]:
    """One job per configured target; `protocol` (from `--protocol`) overrides the config's."""
    from threadloom.generate import available_targets

    entries = config.data["targets"]
    known = available_targets()
    for index, entry in enumerate(entries):
        if entry["target"] not in known:
            raise InputError(
                display_path(config.file), f"unknown target `{entry['target']}`", pointer_join("targets", index, "target"), f"available: {', '.join(known)}"
            )
    return [
        Job(
            entry["target"],
            Context(
                root=config.root,
                protocol_path=protocol if protocol is not None else config.protocol,
                out=config.root / entry["out"],
                package=entry.get("package"),
                options=dict(entry.get("options", {})),
                command=f"threadloom generate {entry['target']}",
                source_format=config.data.get("sourceFormat"),
            ),
        )
        for entry in entries
    ]
