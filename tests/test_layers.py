"""The import graph of fnx points one way (issue 17; docs/architecture.md section 2).

Every module's imports are read from its source (``ast``), function-local ones included, and
checked against the layer order

    base -> core -> interpreters -> lax -> compiler -> backends -> front ends -> libraries

(a module may import its own layer and the layers before it).  Where a lower layer needs
something from a higher one it goes through a table the higher layer fills at import
(``core.upper_layers``, ``interpreters.array_ops``), never an import.  Modules of different
packages (a subpackage such as ``fnx.lax``, or a top-level module such as ``fnx.core``) must not
import each other in a cycle either.  Failures name the file and line.
"""
from __future__ import annotations

import ast
import os
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE_DIR = os.path.join(ROOT, "fnx")

# (layer, module-name prefixes); the longest matching prefix decides a module's layer
LAYERS = [
    ("base", ["fnx.errors", "fnx.config", "fnx.dtypes", "fnx.device", "fnx.tree", "fnx.tree_util",
              "fnx.avals", "fnx._jaxpr_printer", "fnx._cuda_source", "fnx._version"]),
    ("core", ["fnx.core", "fnx._dlpack"]),
    ("interpreters", ["fnx.interpreters"]),
    ("lax", ["fnx.lax"]),
    ("compiler", ["fnx.compiler"]),
    ("backends", ["fnx.backends", "fnx._fnx_kernels"]),
    ("front ends", ["fnx.numpy", "fnx.scipy", "fnx.random", "fnx.api", "fnx.staging",
                    "fnx.placement", "fnx.test_util", "fnx._callbacks", "fnx._scopes",
                    "fnx.debug", "fnx._runtime", "fnx._transform_extras", "fnx.ops",
                    "fnx.image", "fnx.custom_batching"]),
    ("libraries", ["fnx.nn", "fnx.optim", "fnx.data", "fnx.io", "fnx.example_libraries"]),
    ("package", ["fnx"]),      # fnx/__init__.py gathers everything
]


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    where: str     # file:line


def layer_of(module: str) -> int:
    best, best_len = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best_len:
                best, best_len = index, len(p)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in {__file__}")
    return best


def package_of(module: str) -> str:
    """The unit a cycle may not cross: a subpackage of fnx (``fnx.lax``, its __init__ and
    modules alike), or a top-level module of fnx on its own (``fnx.core``, ``fnx.api``)."""
    return ".".join(module.split(".")[:2])


def _module_exists(name: str) -> bool:
    path = os.path.join(ROOT, *name.split("."))
    if os.path.isdir(path) or os.path.exists(path + ".py"):
        return True
    parent, leaf = os.path.split(path)
    return os.path.isdir(parent) and any(
        f.startswith(leaf + ".") and f.endswith((".so", ".pyd")) for f in os.listdir(parent))


def _modules():
    for dirpath, _, files in os.walk(PACKAGE_DIR):
        for f in sorted(files):
            if f.endswith(".py"):
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                is_package = f == "__init__.py"
                yield (rel[:-len(".__init__")] if is_package else rel), path, is_package


def _imported_names(module: str, is_package: bool, node) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "fnx"]
    if node.level == 0:
        base = node.module or ""
        if base.split(".")[0] != "fnx":
            return []
    else:
        parts = module.split(".") if is_package else module.split(".")[:-1]
        parts = parts[:len(parts) - (node.level - 1)]
        base = ".".join(parts + ([node.module] if node.module else []))
    # ``from pkg import name``: the submodule pkg.name if there is one, else pkg itself
    return [f"{base}.{a.name}" if _module_exists(f"{base}.{a.name}") else base
            for a in node.names]


def import_edges() -> list[Edge]:
    edges = []
    for module, path, is_package in _modules():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _imported_names(module, is_package, node):
                    if target != module:
                        edges.append(Edge(module, target,
                                          f"{os.path.relpath(path, ROOT)}:{node.lineno}"))
    return edges


def upward(edges) -> list[str]:
    return [f"{e.where}: {e.importer} ({LAYERS[layer_of(e.importer)][0]}) imports "
            f"{e.imported} ({LAYERS[layer_of(e.imported)][0]})"
            for e in edges if layer_of(e.imported) > layer_of(e.importer)]


def strongly_connected(nodes, succ) -> list[list[str]]:
    """Tarjan's algorithm, iterative; the components of more than one node."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(succ.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(succ.get(w, ()))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == v:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def cross_package_cycles(edges) -> list[str]:
    succ: dict[str, set] = {}
    for e in edges:
        succ.setdefault(e.importer, set()).add(e.imported)
    problems = []
    for component in strongly_connected(sorted(succ), succ):
        if len({package_of(m) for m in component}) < 2:
            continue       # a cycle inside one package
        members = set(component)
        arrows = sorted({f"{e.where}: {e.importer} -> {e.imported}" for e in edges
                         if e.importer in members and e.imported in members})
        problems.append("cycle between " + ", ".join(component) + ":\n    "
                        + "\n    ".join(arrows))
    return problems


def test_every_import_points_down_the_layers():
    problems = upward(import_edges())
    assert not problems, ("imports against the layer order (base -> core -> interpreters -> "
                          "lax -> compiler -> backends -> front ends -> libraries):\n"
                          + "\n".join(problems))


def test_no_import_cycle_between_packages():
    problems = cross_package_cycles(import_edges())
    assert not problems, "\n".join(problems)


# Packages whose modules import in one direction internally too (no bottom-of-file imports
# closing a loop): a family module never imports the table module that merges it.
ACYCLIC_PACKAGES = ("fnx.backends", "fnx.compiler", "fnx.tree")


def test_no_import_cycle_inside_the_acyclic_packages():
    edges = [e for e in import_edges()
             if package_of(e.importer) in ACYCLIC_PACKAGES and e.importer != package_of(e.importer)
             and package_of(e.imported) == package_of(e.importer)]
    succ: dict[str, set] = {}
    for e in edges:
        succ.setdefault(e.importer, set()).add(e.imported)
    cycles = strongly_connected(sorted(succ), succ)
    assert not cycles, "\n".join(
        "cycle between " + ", ".join(c) + ":\n    " + "\n    ".join(
            sorted(f"{e.where}: {e.importer} -> {e.imported}" for e in edges
                   if e.importer in c and e.imported in c)) for c in cycles)


# -- the checker itself ------------------------------------------------------------------------

def test_checker_sees_function_local_and_relative_imports():
    edges = import_edges()
    found = {(e.importer, e.imported) for e in edges}
    # a top-level relative import and a function-local one, both known to exist
    assert ("fnx.staging", "fnx.backends") in found
    assert any(e.importer == "fnx.lax.implicit" and e.imported == "fnx.lax.elementwise"
               for e in edges)


def test_checker_flags_an_upward_edge_and_a_cycle():
    fake = [Edge("fnx.core", "fnx.placement", "fnx/core.py:1"),
            Edge("fnx.placement", "fnx.core", "fnx/placement.py:2")]
    assert upward(fake) == ["fnx/core.py:1: fnx.core (core) imports fnx.placement (front ends)"]
    cycles = cross_package_cycles(fake)
    assert len(cycles) == 1 and "fnx/core.py:1" in cycles[0] and "fnx/placement.py:2" in cycles[0]
    same_package = [Edge("fnx.lax.shape", "fnx.lax.conv", "a:1"),
                    Edge("fnx.lax.conv", "fnx.lax.shape", "b:2")]
    assert cross_package_cycles(same_package) == []
