"""``nlrstats new DIR``: write a Quarto project the researcher owns.

The project holds ``_quarto.yml``, ``reports/replication.qmd`` and ``reports/validation.qmd``, the
style files they use (``styles/``), a ``data/`` folder and a README. With ``--data FILE`` the file is
copied into ``data/`` and a mapping is proposed from its own headers and values
(:func:`nlrstats.project.propose.propose_mapping`), unless ``--mapping`` gives one. The template is
package data (``nlrstats/project/template``, read with :mod:`importlib.resources`); in a source
checkout its files are links to the repository's own ``_quarto.yml``, ``reports/`` and ``styles/``,
so there is one copy of each document.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from nlrstats.project.propose import propose_mapping

__all__ = ["NewProject", "ProjectExistsError", "new_project", "template_dir"]

# template file -> name in the project (a file named .gitignore would be dropped by some packagers)
_RENAME = {"gitignore": ".gitignore"}


class ProjectExistsError(FileExistsError):
    """The target folder already holds files that ``nlrstats new`` would overwrite."""


@dataclass(frozen=True)
class NewProject:
    """What :func:`new_project` wrote: the project root, every file, and the data and mapping paths."""

    root: Path
    files: tuple[Path, ...]
    data: Path | None = None
    mapping: Path | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def template_dir() -> Path:
    """The packaged project template (a real folder in an installed wheel or a source checkout)."""
    return Path(str(resources.files("nlrstats.project") / "template"))


def _template_files() -> list[tuple[Path, Path]]:
    root = template_dir()
    out = []
    for src in sorted(root.rglob("*")):
        if src.is_file() and "__pycache__" not in src.parts:
            rel = src.relative_to(root)
            out.append((src, rel.with_name(_RENAME.get(rel.name, rel.name))))
    return out


def new_project(directory: str | Path, data: str | Path | None = None, mapping: str | Path | None = None,
                force: bool = False) -> NewProject:
    """Write the project into ``directory`` (created if missing) and return what was written.

    Parameters
    ----------
    directory : the project folder; it may exist but must not hold any file the project writes.
    data : a cohort file (.csv, .tsv, .parquet, .xlsx) copied to ``data/``.
    mapping : its mapping TOML, copied to ``data/``; without it, one is proposed from ``data``.
    force : overwrite files that exist.

    Raises
    ------
    ProjectExistsError : a file would be overwritten (without ``force``); nothing was written.
    FileNotFoundError : ``data`` or ``mapping`` does not exist.
    """
    root = Path(directory).resolve()
    data_src = Path(data).resolve() if data is not None else None
    mapping_src = Path(mapping).resolve() if mapping is not None else None
    for given, path in (("--data", data_src), ("--mapping", mapping_src)):
        if path is not None and not path.is_file():
            raise FileNotFoundError(f"{given} {path}: no such file")
    plan: list[tuple[Path | str, Path]] = [(src, root / rel) for src, rel in _template_files()]
    data_dst = mapping_dst = None
    notes = []
    if data_src is not None:
        data_dst = root / "data" / data_src.name
        plan.append((data_src, data_dst))
        mapping_dst = root / "data" / (mapping_src.name if mapping_src else f"{data_src.stem}.toml")
        if mapping_src is not None:
            plan.append((mapping_src, mapping_dst))
        else:
            plan.append((propose_mapping(data_src), mapping_dst))
            notes.append(f"{mapping_dst.relative_to(root)} was proposed from the headers and values of "
                         f"{data_src.name}: check it")
    clashes = [dst for _, dst in plan if dst.exists()]
    if clashes and not force:
        raise ProjectExistsError(f"{root} already has {', '.join(str(c.relative_to(root)) for c in clashes)}; "
                                 "choose an empty folder or use --force to overwrite")
    (root / "data").mkdir(parents=True, exist_ok=True)
    for src, dst in plan:
        dst.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(src, Path):
            shutil.copyfile(src, dst)  # follows the template's links: the project gets real files
        else:
            dst.write_text(src, encoding="utf-8")
    return NewProject(root=root, files=tuple(dst for _, dst in plan), data=data_dst, mapping=mapping_dst,
                      notes=tuple(notes))
