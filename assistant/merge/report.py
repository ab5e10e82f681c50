"""What a merge says it did, and the error that refuses a source."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assistant.store import StoreError
from assistant.words import counted


class MergeError(StoreError):
    """A source that cannot be merged; nothing from it was added."""


@dataclass
class MergeReport:
    source: str
    sha256: str
    added: dict[str, int] = field(default_factory=dict)
    # Rows a newer copy from the same origin updated, by table.
    updated: dict[str, int] = field(default_factory=dict)
    already_present: int = 0
    # Only conflicts this merge newly set aside; one identical to a conflict already recorded is not new.
    conflicts: list[dict[str, str]] = field(default_factory=list)
    skipped_erased: int = 0
    skipped_deleted: int = 0
    cleaned: int = 0
    relabelled: list[str] = field(default_factory=list)
    source_events: int = 0
    earlier_events: int = 0

    def summary(self) -> str:
        added = sum(self.added.values())
        parts = [f"{Path(self.source).name}: {counted(added, 'row')} added"]
        if self.added.get("notes"):
            parts.append(counted(self.added["notes"], "note"))
        if self.updated:
            parts.append(f"{counted(sum(self.updated.values()), 'row')} updated")
        parts.append(f"{self.already_present} already present")
        if self.skipped_erased:
            parts.append(f"{counted(self.skipped_erased, 'row')} skipped: erased here")
        if self.skipped_deleted:
            parts.append(f"{counted(self.skipped_deleted, 'row')} skipped: deleted here")
        if self.conflicts:
            parts.append(f"{len(self.conflicts)} set aside as conflicts (see `merge conflicts`)")
        for reference in self.relabelled:
            parts.append(f"case {reference} has another label there (the label here is kept)")
        if self.source_events < self.earlier_events:
            parts.append(f"its audit trail holds {self.source_events} events, fewer than the {self.earlier_events}"
                         " of an earlier hand-over from the same database (it may have been cut short)")
        if self.cleaned:
            parts.append(f"{counted(self.cleaned, 'text value')} cleaned of control characters")
        return ", ".join(parts) + "."
