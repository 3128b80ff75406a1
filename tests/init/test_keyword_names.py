"""Method and property names that are Python keywords (`import`, `from`, `class`): the generated
package imports, and a client calls the server through it (`client.import_`, `params.from_`)."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner

from tests.hang import HANG_LIMIT
from tests.server.test_in_process import transport_pair
from threadloom.cli import main

PACKAGE = "keyword_tasks"


def _add_import_method(document: dict[str, Any]) -> None:
    document["x-methods"].append(
        {
            "method": "import",
            "direction": "clientToServer",
            "kind": "request",
            "params": "#/$defs/ImportParams",
            "result": "#/$defs/ImportResult",
            "area": "task",
            "description": "Import tasks from elsewhere.",
            "errors": [],
        }
    )
    document["$defs"]["ImportParams"] = {
        "type": "object",
        "description": "Parameters of `import`.",
        "properties": {"from": {"type": "string", "description": "Where from."}, "class": {"type": "string", "description": "Which kind."}},
        "required": ["from"],
    }
    document["$defs"]["ImportResult"] = {
        "type": "object",
        "description": "Result of `import`.",
        "properties": {"count": {"type": "integer", "description": "How many tasks came in."}},
        "required": ["count"],
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ModuleType]]:
    root = tmp_path_factory.mktemp("keywords")
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(root / "project")]).exit_code == 0
    document_file = root / "project/protocol/v1/protocol.json"
    document = json.loads(document_file.read_text(encoding="utf-8"))
    _add_import_method(document)
    document_file.write_text(json.dumps(document), encoding="utf-8")
    assert runner.invoke(main, ["check", "--protocol", str(root / "project/protocol")]).exit_code == 0
    result = runner.invoke(main, ["generate", "python", "--protocol", str(root / "project/protocol"), "--out", str(root / "out"), "--package", PACKAGE])
    assert result.exit_code == 0, result.output
    sys.path.insert(0, str(root / "out"))
    try:
        yield {name: importlib.import_module(f"{PACKAGE}.v1.{name}") for name in ("models", "client", "server", "methods")}
    finally:
        sys.path.remove(str(root / "out"))
        for name in [module for module in sys.modules if module.startswith(PACKAGE)]:
            del sys.modules[name]


def test_a_keyword_method_is_called_and_served_with_a_trailing_underscore(generated: dict[str, ModuleType]) -> None:
    models, client_module, server_module = generated["models"], generated["client"], generated["server"]
    assert generated["methods"].IMPORT.name == "import"

    class Server(server_module.ServerHandler):  # type: ignore[misc, name-defined]
        async def import_(self, params: Any, ctx: Any) -> Any:
            return models.ImportResult(count=len(params.from_) + (params.class_ == "bulk"))

        async def task_add(self, params: Any, ctx: Any) -> Any:
            raise NotImplementedError  # not called here

        async def task_remove(self, params: Any, ctx: Any) -> Any:
            raise NotImplementedError

    async def scenario() -> int:
        client_end, server_end = transport_pair()
        served = asyncio.create_task(server_module.serve(Server(), server_end))
        async with client_module.Client(client_end) as client:
            await client.connect()
            answer = await client.import_(models.ImportParams(from_="abc", class_="bulk"))
        await asyncio.wait_for(served, HANG_LIMIT)
        return int(answer.count)

    assert asyncio.run(scenario()) == 4
