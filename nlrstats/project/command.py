"""The ``nlrstats new`` subcommand (wired into ``nlrstats/cli.py``): argument parser and runner."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from nlrstats.project.scaffold import ProjectExistsError, new_project

__all__ = ["add_new_parser", "run_new"]


def add_new_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``new DIR [--data FILE] [--mapping FILE] [--force]``; its ``func`` is :func:`run_new`."""
    p = subparsers.add_parser("new", help="write a Quarto project you own (documents, _quarto.yml, data/, a mapping)")
    p.add_argument("directory", metavar="DIR", help="project folder (created; must not hold the project's files)")
    p.add_argument("--data", metavar="FILE", help="cohort file copied to DIR/data/; a mapping is proposed from it")
    p.add_argument("--mapping", metavar="FILE", help="mapping TOML for --data, copied instead of proposing one")
    p.add_argument("--force", action="store_true", help="overwrite files that exist")
    p.set_defaults(func=run_new)
    return p


def run_new(args: argparse.Namespace) -> int:
    """Write the project; 0 on success, 1 with the reason on stderr (no traceback) otherwise."""
    try:
        project = new_project(args.directory, data=args.data, mapping=args.mapping, force=args.force)
    except (ProjectExistsError, FileNotFoundError, ValueError) as exc:
        print(f"nlrstats new: error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote a Quarto project in {project.root}:")
    for f in project.files:
        print(f"  {f.relative_to(project.root)}")
    for note in project.notes:
        print(f"note: {note}")
    print("next:")
    print(f"  cd {args.directory}")
    if project.data is not None:
        data, mapping = project.data.relative_to(project.root), project.mapping.relative_to(project.root)
        print(f"  nlrstats validate {data} --mapping {mapping}")
        print(f"  quarto render reports/validation.qmd -P data:{data} -P mapping:{mapping}")
        print(f"  nlrstats render validation --data {data} --mapping {mapping}   # the same without Quarto")
    else:
        print("  quarto render            # or: nlrstats render")
    return 0
