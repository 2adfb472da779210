#!/usr/bin/env python
"""Print the largest modules and the longest functions of a package (a script, not a test).

    .venv/bin/python scripts/sizes.py [--root kashop_desktop] [--modules 15] [--max-lines 600] [--max-func 60]

Modules are counted in physical lines; a function's length runs from its ``def`` (decorators
included) to its last line, nested functions counted within their parent and listed on their own.
Modules over ``--max-lines`` and functions over ``--max-func`` are marked ``!``; the exit status is 1
when any module is over the limit.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path


def module_sizes(root: Path) -> list[tuple[int, str]]:
    return sorted(((len(p.read_text("utf-8").splitlines()), p.as_posix()) for p in root.rglob("*.py")), reverse=True)


def function_sizes(root: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        _walk(tree, path.as_posix(), "", found)
    return sorted(found, reverse=True)


def _walk(node: ast.AST, path: str, prefix: str, found: list[tuple[int, str]]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            start = min([child.lineno, *(d.lineno for d in child.decorator_list)])
            length = (child.end_lineno or child.lineno) - start + 1
            name = f"{prefix}{child.name}"
            found.append((length, f"{path}:{child.lineno} {name}"))
            _walk(child, path, name + ".", found)
        elif isinstance(child, ast.ClassDef):
            _walk(child, path, f"{prefix}{child.name}.", found)
        else:
            _walk(child, path, prefix, found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("kashop_desktop"))
    parser.add_argument("--modules", type=int, default=15, help="how many of the largest modules to list")
    parser.add_argument("--max-lines", type=int, default=600)
    parser.add_argument("--max-func", type=int, default=60)
    args = parser.parse_args()
    modules = module_sizes(args.root)
    over = [m for m in modules if m[0] > args.max_lines]
    print(f"largest modules (limit {args.max_lines} lines; {len(over)} over, {len(modules)} modules)")
    for lines, path in modules[: max(args.modules, len(over))]:
        print(f"  {'!' if lines > args.max_lines else ' '} {lines:5d}  {path}")
    long_funcs = [f for f in function_sizes(args.root) if f[0] > args.max_func]
    print(f"functions over {args.max_func} lines: {len(long_funcs)}")
    for lines, where in long_funcs:
        print(f"  ! {lines:5d}  {where}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
