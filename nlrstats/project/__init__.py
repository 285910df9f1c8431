"""Projects a researcher owns: ``nlrstats new`` writes a Quarto project from the packaged template.

``template/`` holds the project (``_quarto.yml``, ``reports/*.qmd``, ``styles/``) as package data;
:mod:`nlrstats.project.propose` proposes a mapping file from a data file's headers and values.
"""

from nlrstats.project.scaffold import NewProject, ProjectExistsError, new_project, template_dir

__all__ = ["NewProject", "ProjectExistsError", "new_project", "template_dir"]
