"""Which public names of JAX's everyday modules fnx has, and which it lacks.

    python tools/jax_api_coverage.py --jax-git <path to a jax .git dir> [--markdown out.md]
    python tools/jax_api_coverage.py --jax-src <path to a jax checkout>  [--markdown out.md]

JAX is not needed (nor imported): each JAX module's public names are read from its source with
``ast`` -- the names it binds at top level (``from ... import x as x`` re-exports, ``def``,
``class``, assignments), or its ``__all__`` when it has one -- and compared with ``dir()`` of
the fnx module that stands for it.  Prints a table and, per module, the missing names; exits 0
(it reports, it does not judge: the closing notes say which missing names are left out on
purpose, e.g. multi-device sharding and XLA-specific types).
"""
from __future__ import annotations

import argparse
import ast
import importlib
import subprocess
import sys
from pathlib import Path

# jax module -> (its source file in the jax repository, the fnx module standing for it)
MODULES = {
    "jax": ("jax/__init__.py", "fnx"),
    "jax.numpy": ("jax/numpy/__init__.py", "fnx.numpy"),
    "jax.numpy.linalg": ("jax/numpy/linalg.py", "fnx.numpy.linalg"),
    "jax.numpy.fft": ("jax/numpy/fft.py", "fnx.numpy.fft"),
    "jax.lax": ("jax/lax/__init__.py", "fnx.lax"),
    "jax.lax.linalg": ("jax/lax/linalg.py", "fnx.lax.linalg"),
    "jax.nn": ("jax/nn/__init__.py", "fnx.nn"),
    "jax.nn.initializers": ("jax/nn/initializers.py", "fnx.nn.initializers"),
    "jax.random": ("jax/random.py", "fnx.random"),
    "jax.tree_util": ("jax/tree_util.py", "fnx.tree_util"),
    "jax.tree": ("jax/tree.py", "fnx.tree"),
    "jax.debug": ("jax/debug.py", "fnx.debug"),
    "jax.scipy.special": ("jax/scipy/special.py", "fnx.scipy.special"),
    "jax.scipy.linalg": ("jax/scipy/linalg.py", "fnx.scipy.linalg"),
    "jax.scipy.stats": ("jax/scipy/stats/__init__.py", "fnx.scipy.stats"),
    "jax.ops": ("jax/ops/__init__.py", "fnx.ops"),
    "jax.image": ("jax/image/__init__.py", "fnx.image"),
    "jax.custom_batching": ("jax/custom_batching.py", "fnx.custom_batching"),
    "jax.example_libraries.stax": ("jax/example_libraries/stax.py",
                                   "fnx.example_libraries.stax"),
    "jax.example_libraries.optimizers": ("jax/example_libraries/optimizers.py",
                                         "fnx.example_libraries.optimizers"),
}
STATS_DIR = "jax/scipy/stats"


class Source:
    """Reads files of a jax checkout or of a bare git directory (its HEAD)."""

    def __init__(self, src: str | None, git: str | None):
        self.src, self.git = src, git

    def read(self, path: str) -> str | None:
        if self.src:
            p = Path(self.src, path)
            return p.read_text() if p.exists() else None
        out = subprocess.run(["git", "--git-dir", self.git, "show", f"HEAD:{path}"],
                             capture_output=True, text=True)
        return out.stdout if out.returncode == 0 else None

    def listdir(self, path: str) -> list[str]:
        if self.src:
            return sorted(p.name for p in Path(self.src, path).iterdir())
        out = subprocess.run(["git", "--git-dir", self.git, "ls-tree", "--name-only",
                              f"HEAD:{path}"], capture_output=True, text=True, check=True)
        return out.stdout.split()


def public_names(source: str) -> set[str]:
    """The public names a module's source binds (or its ``__all__``)."""
    tree = ast.parse(source)
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name) and t.id == "__all__" and \
                        isinstance(node.value, (ast.List, ast.Tuple)):
                    return {ast.literal_eval(e) for e in node.value.elts}
                if isinstance(t, ast.Name):
                    names.add(t.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                # JAX re-exports with "x as x"; a plain "from m import x" in an __init__ is
                # also public; submodule imports ("from jax import numpy as numpy") count too
                if alias.name != "*":
                    names.add(alias.asname or alias.name)
    return {n for n in names if not n.startswith("_")}


def fnx_names(module: str) -> set[str] | None:
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    return set(dir(mod))


def _has_attribute(mod, name: str) -> bool:
    try:
        getattr(mod, name)
        return True
    except (AttributeError, ImportError):
        return False


def compare(source: Source) -> list[tuple[str, int, list[str]]]:
    rows = []
    for jax_mod, (path, fnx_mod) in MODULES.items():
        text = source.read(path)
        if text is None:
            continue
        want = public_names(text)
        have = fnx_names(fnx_mod) or set()
        if have:    # names a module loads on first access (fnx.nn, fnx.scipy ...) count too
            mod = importlib.import_module(fnx_mod)
            have |= {n for n in want - have if _has_attribute(mod, n)}
        rows.append((jax_mod, len(want), sorted(want - have)))
    # each jax.scipy.stats distribution's functions
    for name in source.listdir(STATS_DIR):
        if not name.endswith(".py") or name.startswith("_"):
            continue
        dist = name[:-3]
        want = public_names(source.read(f"{STATS_DIR}/{name}"))
        have = fnx_names(f"fnx.scipy.stats.{dist}")
        missing = sorted(want) if have is None else sorted(want - have)
        rows.append((f"jax.scipy.stats.{dist}", len(want), missing))
    return rows


def render(rows) -> str:
    lines = ["| JAX module | public names | fnx has | missing |", "|---|---:|---:|---:|"]
    for mod, n, missing in rows:
        lines.append(f"| `{mod}` | {n} | {n - len(missing)} | {len(missing)} |")
    lines.append("")
    for mod, _, missing in rows:
        if missing:
            lines.append(f"* `{mod}`: " + ", ".join(f"`{m}`" for m in missing))
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--jax-src", help="a jax source checkout")
    group.add_argument("--jax-git", help="a jax git directory (bare or .git)")
    parser.add_argument("--markdown", help="also write the report to this file")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    text = render(compare(Source(args.jax_src, args.jax_git)))
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
