"""Reading a YAML file a user wrote (training configs, recipe plans): every problem is one line naming the file."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from slimsep.errors import SlimsepError, first_line


def read_yaml(path: str | Path, what: str = "config file") -> Any:
    """The document in ``path`` (``{}`` for an empty file). Raises SlimsepError for a missing file or a syntax
    error, which PyYAML reports over several lines: the line names the position (1-based) and the problem."""
    path = Path(path)
    if not path.is_file():
        raise SlimsepError(f"{path}: {what} not found")
    try:
        return yaml.safe_load(path.read_text()) or {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise SlimsepError(f"{path}: not valid YAML ({where}{exc.problem or first_line(exc)})") from None
    except yaml.YAMLError as exc:
        raise SlimsepError(f"{path}: not valid YAML ({first_line(exc)})") from None
