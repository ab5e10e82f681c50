"""A folder tree under a path field: choosing a file fills the field, so nobody has to type a long path.

The field stays the source of truth: a path typed or pasted into it works just the same."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.widgets import DirectoryTree

from assistant.tui.widgets.safe_inputs import SafeInput


class FileBrowser(DirectoryTree):
    """Fills the input `#field-<field>`: replaces it, appends with "; " (`several`), or with `folders` a
    chosen folder keeps the file name already in the field (where to save a copy)."""

    DEFAULT_CSS = "FileBrowser { height: 10; margin: 1 0 0 0; }"

    def __init__(self, field: str, start: str | Path = "", *, several: bool = False, folders: bool = False) -> None:
        super().__init__(_folder_to_show(start), id=f"browse-{field}")
        self.field = field
        self.several = several
        self.folders = folders

    def filter_paths(self, paths):  # type: ignore[override]
        """Hidden files (lock files, settings) are no one's hand-over or chronology."""
        return [path for path in paths if not path.name.startswith(".")]

    def _field(self) -> SafeInput:
        return self.screen.query_one(f"#field-{self.field}", SafeInput)

    @on(DirectoryTree.FileSelected)
    def _file_chosen(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        field = self._field()
        chosen = _typed_form(event.path)
        if self.several and field.value.strip():
            field.value = f"{field.value.rstrip().rstrip(';')}; {chosen}"
        else:
            field.value = chosen

    @on(DirectoryTree.DirectorySelected)
    def _folder_chosen(self, event: DirectoryTree.DirectorySelected) -> None:
        event.stop()
        if self.folders:
            field = self._field()
            name = Path(field.value).name if field.value.strip() else ""
            field.value = _typed_form(event.path / name if name else event.path)


def _folder_to_show(start: str | Path) -> Path:
    """The folder of `start` (or the nearest that exists), else the folder the app was started in."""
    if str(start).strip():
        candidate = Path(str(start)).expanduser()
        for folder in (candidate, *candidate.parents):
            if folder.is_dir():
                return folder
    return Path.cwd()


def _typed_form(path: Path) -> str:
    """A path as the field's reader takes it back: quoted when it holds a ";" or a quote mark."""
    text = str(path)
    if any(mark in text for mark in (";", "'", '"')):
        import shlex

        return shlex.quote(text)
    return text
