"""Module cycles in the import graph: a cycle hidden behind a function-level import is still a cycle.

grimp's graph holds every import, deferred and type-checking-only ones included; a strongly
connected component of more than one module is a cycle, and there is none.
"""

from __future__ import annotations

import grimp

PACKAGES = (
    "apim_common",
    "apim_standalone",
    "apim_publisher",
    "apim_devportal",
    "apim_admin",
    "apim_key_manager",
    "apim_gateway",
    "apim_throttle_sync",
    "apim_analytics",
    "apim_portals",
    "apimctl",
)


def module_cycles(graph: grimp.ImportGraph) -> set[frozenset[str]]:
    """Tarjan's strongly connected components, iteratively, keeping those of two or more modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: set[frozenset[str]] = set()
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            module, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == module:
                        break
                if len(component) > 1:
                    found.add(frozenset(component))
    return found


def test_the_cycle_finder_sees_a_cycle_through_a_deferred_import() -> None:
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert module_cycles(graph) == {frozenset({"pkg.a", "pkg.b"})}


def test_no_module_imports_itself_through_others() -> None:
    cycles = sorted(sorted(cycle) for cycle in module_cycles(grimp.build_graph(*PACKAGES)))
    assert cycles == [], f"module cycles: {cycles}"
