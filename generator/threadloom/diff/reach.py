"""Which definitions the server reads and which it writes, and through which methods.

Polarity comes only from the method table (plus the error table and the two message unions):
read by the server = params of client->server methods and results of server->client requests
(the client's replies); written by the server = results of client requests, params of
server->client methods and error data. Everything a root refers to, transitively, shares its role.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from threadloom.diff.findings import Role
from threadloom.model import Direction, Protocol, envelope_name, ref_name


@dataclass(frozen=True)
class Reach:
    roles: dict[str, frozenset[Role]]  # definition -> roles (empty: reachable from nothing)
    methods: dict[str, frozenset[str]]  # definition -> methods whose payloads contain it

    def roles_of(self, name: str) -> frozenset[Role]:
        return self.roles.get(name, frozenset())

    def methods_of(self, name: str) -> frozenset[str]:
        return self.methods.get(name, frozenset())


def refs_in(node: Any) -> Iterator[str]:
    """Names of the definitions a schema refers to directly (at any depth inside it)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                yield ref_name(ref)
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def _roots(protocol: Protocol) -> Iterator[tuple[str, Role, str | None]]:
    """(definition, role, method or None) for every payload the method table names."""
    for method in protocol.methods:
        sent_by_client = method.direction is Direction.CLIENT_TO_SERVER
        params_role = Role.READ if sent_by_client else Role.WRITTEN
        reply_role = Role.WRITTEN if sent_by_client else Role.READ
        yield method.params, params_role, method.name
        envelope = envelope_name(protocol, method)
        if envelope:
            yield envelope, params_role, method.name
        if method.result:
            yield method.result, reply_role, method.name
    for error in protocol.errors:
        if error.data:
            users: list[str | None] = [m.name for m in protocol.methods if error.name in m.errors]
            for user in users or [None]:
                yield error.data, Role.WRITTEN, user
    for direction, name in protocol.messages.items():
        yield name, Role.READ if direction is Direction.CLIENT_TO_SERVER else Role.WRITTEN, None


def compute_reach(protocol: Protocol) -> Reach:
    graph = {name: sorted(set(refs_in(d.schema)) & protocol.definitions.keys()) for name, d in protocol.definitions.items()}
    closure = transitive_closure(graph)
    roles: dict[str, set[Role]] = {}
    methods: dict[str, set[str]] = {}
    for root, role, method in _roots(protocol):
        for name in closure.get(root, frozenset()):
            roles.setdefault(name, set()).add(role)
            if method:
                methods.setdefault(name, set()).add(method)
    return Reach({k: frozenset(v) for k, v in roles.items()}, {k: frozenset(v) for k, v in methods.items()})


def transitive_closure(graph: dict[str, list[str]]) -> dict[str, frozenset[str]]:
    """Every node -> the nodes reachable from it (itself included); Tarjan's SCCs, iteratively.

    Tarjan emits a component only after every component reachable from it, so each closure is
    built from finished ones: linear in the size of the graph, cycles included.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    closure: dict[str, frozenset[str]] = {}
    counter = 0
    for start in graph:
        if start in index:
            continue
        work: list[tuple[str, int]] = [(start, 0)]
        while work:
            node, child_index = work.pop()
            if child_index == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = graph.get(node, [])
            if child_index < len(children):
                work.append((node, child_index + 1))
                child = children[child_index]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            for child in children:
                if child in on_stack:
                    low[node] = min(low[node], low[child])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                reached = set(component)
                for member in component:
                    for child in graph.get(member, []):
                        if child not in reached and child in closure:
                            reached |= closure[child]
                frozen = frozenset(reached)
                for member in component:
                    closure[member] = frozen
    return closure
