"""The one exception the renderer raises for problems in a document or its environment."""

from __future__ import annotations

__all__ = ["RenderError"]


class RenderError(RuntimeError):
    """A document could not be rendered; the message is written for the document's author.

    For a failing cell it names the document, the cell's number and line, shows
    the cell's source and the kernel's traceback.
    """
