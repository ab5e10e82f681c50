"""Home: every case and its conversations; resume, start, rehearse, review, browse the structure."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from assistant.casegroup import outstanding_counts
from assistant.cases import list_cases
from assistant.conversation import STATUS_LABELS, list_conversations
from assistant.tui.guard import guarded
from assistant.tui.keys import shown_in_help
from assistant.tui.safe import safe


@shown_in_help("Home", 1)
class HomeScreen(Screen):
    """Cases and conversations; the place every session starts."""

    BINDINGS = [
        Binding("n", "new_conversation", "New conversation", id="home.new"),
        Binding("enter", "resume", "Open", show=False, id="home.open"),
        Binding("r", "resume", "Resume", id="home.resume"),
        Binding("t", "rehearse", "Rehearse", id="home.rehearse"),
        Binding("v", "review", "Review case", id="home.review"),
        Binding("g", "gather", "Merge pair files", id="home.merge"),
        Binding("h", "handover", "Hand over", id="home.handover"),
        Binding("s", "structure", "Structure", id="home.structure"),
        Binding("p", "prepare", "Prepare a case", id="home.prepare"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static(id="home-intro")
            yield DataTable(id="conversations", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#conversations", DataTable)
        table.add_columns("Status", "Case", "Practitioner", "Notes", "Agency", "Family", "Last change")
        self.refresh_rows()

    @guarded
    def on_screen_resume(self) -> None:
        self.refresh_rows()

    def refresh_rows(self) -> None:
        store = self.app.store
        cases = list_cases(store)
        conversations = list_conversations(store)
        table = self.query_one("#conversations", DataTable)
        table.clear()
        for row in conversations:
            table.add_row(
                Text(_status_text(row["status"])), safe(row["reference"]), safe(row["practitioner_role"]),
                Text(str(row["note_count"])), safe(row["agency"]), safe(row["case_label"]),
                Text(row["updated_at"][:16].replace("T", " ")), key=row["id"],
            )
        # A case added from the command line or with its chronology, before its first conversation.
        for case in cases:
            if not case["conversations"]:
                table.add_row(
                    Text("No conversation yet", style="dim"), safe(case["reference"]), Text(""), Text("0"),
                    Text(""), safe(case["label"]), Text(case["created_at"][:16].replace("T", " ")),
                    key=CASE_ROW + case["id"],
                )
        if not cases:
            text = Text(
                "Welcome. There are no cases yet.\n\n"
                "Press N to start your first conversation: you will name the case (a reference and a "
                "pseudonym for the family) and the practitioner's role. Press T to rehearse with a "
                "fictional practitioner, or S to read the conversation structure first. Pairs hand their "
                "notes over with H; lead reviewers merge the hand-over files with G.",
            )
        elif not conversations:
            text = Text(f"{len(cases)} case(s), no conversations yet. Choose a case and press Enter, or "
                        "press N, to start one.")
        else:
            in_progress = sum(1 for c in conversations if c["status"] == "in_progress")
            text = Text(
                f"{len(cases)} case(s), {len(conversations)} conversation(s), {in_progress} in progress. "
                "Choose one and press Enter to resume it where you left off."
            )
        outstanding = outstanding_counts(store)
        if outstanding:
            text.append("\nCase group (P to prepare): ")
            text.append_text(safe(" · ".join(f"{c['reference']}: {outstanding[c['id']]} outstanding"
                                              for c in cases if c["id"] in outstanding)))
        if not store.encrypted:
            text.append("\nThis database is not encrypted: `learning-together encrypt` protects it with a "
                        "passphrase.", style="italic")
        self.query_one("#home-intro", Static).update(text)
        table.display = bool(table.row_count)
        if table.row_count:
            table.focus()

    def _selected_id(self) -> str | None:
        table = self.query_one("#conversations", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    @on(DataTable.RowSelected, "#conversations")
    @guarded
    def _open_row(self, event: DataTable.RowSelected) -> None:
        self.action_resume()

    @guarded
    def action_resume(self) -> None:
        conversation_id = self._selected_id()
        if conversation_id and conversation_id.startswith(CASE_ROW):
            self._start_for_case(conversation_id.removeprefix(CASE_ROW))
        elif conversation_id:
            from assistant.tui.screens.conversation import ConversationScreen

            self.app.push_screen(ConversationScreen(conversation_id))

    def _start_for_case(self, case_id: str) -> None:
        """The new-conversation form with this case already chosen."""
        from textual.widgets import Select

        from assistant.tui.screens.new_conversation import NewConversationScreen

        form = NewConversationScreen()
        self.app.push_screen(form)

        def choose() -> None:
            form.query_one("#case", Select).value = case_id

        form.call_after_refresh(choose)

    @guarded
    def action_new_conversation(self) -> None:
        from assistant.tui.screens.new_conversation import NewConversationScreen

        self.app.push_screen(NewConversationScreen())

    @guarded
    def action_rehearse(self) -> None:
        from assistant.tui.screens.rehearsal import open_rehearsals

        open_rehearsals(self.app)

    @guarded
    def action_review(self) -> None:
        from assistant.tui.screens.review import open_review

        open_review(self.app)

    @guarded
    def action_gather(self) -> None:
        from assistant.tui.screens.dialogs import TextPrompt

        self.app.push_screen(TextPrompt(
            "Merge the pairs' hand-over files into this database",
            [("paths", "File paths (several: separate them with ; or quote each one)", ""),
             ("passphrase", "Passphrase (only for encrypted hand-over files)", "", True)],
            explanation="Each file is merged whole or not at all; merging the same file again adds nothing. "
                        "Files that cannot be merged stay in the box with the reason.",
            confirm="Merge", action=self._merge, what="the merge", background=True))

    def _merge(self, dialog, values: dict[str, str]) -> str | None:
        """Runs in a worker thread (merging can take a while): each merged file is reported as it is
        done; the files that failed stay in the dialog with the first reason."""
        from pathlib import Path

        from assistant.merge import merge_source
        from assistant.tui.guard import describe

        paths = split_paths(values["paths"])
        if not paths:
            return "Give the path of at least one hand-over file."
        passphrase = values["passphrase"] or None
        failed: list[tuple[str, str]] = []
        for path in paths:
            source = Path(path).expanduser()
            try:
                if source.is_dir():
                    failed.append((path, f"{source} is a folder; give the hand-over file inside it."))
                    continue
                report = merge_source(self.app.store, source, passphrase=passphrase)
            except Exception as error:  # noqa: BLE001 - one sentence per file, the rest carry on
                failed.append((path, describe(error, f"merging {source.name}")))
                continue
            self.app.call_from_thread(self.app.say, report.summary())
        del passphrase, values
        self.app.call_from_thread(self.refresh_rows)
        if not failed:
            return None
        self.app.call_from_thread(dialog.set_field, "paths", "; ".join(_quoted(p) for p, _ in failed))
        if len(failed) == 1:
            return failed[0][1]
        return f"{len(failed)} files were not merged; the first: {failed[0][1]}"

    @guarded
    def action_handover(self) -> None:
        from datetime import date
        from pathlib import Path

        from assistant.tui.screens.dialogs import TextPrompt
        from assistant.workflows import handover_file_name

        default = Path(self.app.store.path).parent / "exports" / handover_file_name(self.app.store, date.today())
        self.app.push_screen(TextPrompt(
            "Hand over this database to the lead reviewer",
            [("path", "Save the copy as", str(default)),
             ("passphrase", "Passphrase for the copy (at least 8 characters)", "", True),
             ("confirm", "The same passphrase again", "", True)],
            explanation="The copy is encrypted with its own passphrase; tell the lead reviewer the passphrase "
                        "separately. Leave both empty only if a plain copy is really needed: that is recorded.",
            confirm="Make the copy", action=self._handover, what="the hand-over copy"))

    def _handover(self, dialog, values: dict[str, str]) -> str | None:
        from pathlib import Path

        from assistant.merge import handover

        if values["passphrase"] != values["confirm"]:
            return "The two passphrases differ; nothing was written."
        encrypted = bool(values["passphrase"])
        path = handover(self.app.store, Path(values["path"]).expanduser(), actor="pair",
                        passphrase=values["passphrase"] or None)
        kind = "encrypted" if encrypted else "NOT encrypted (recorded in the audit trail)"
        self.app.say(f"Hand-over copy saved, {kind}: {path}")
        return None

    @guarded
    def action_prepare(self) -> None:
        from assistant.tui.screens.case_group import open_case_group

        open_case_group(self.app)

    @guarded
    def action_structure(self) -> None:
        from assistant.tui.screens.structure_browser import StructureBrowser

        self.app.push_screen(StructureBrowser())


CASE_ROW = "case:"  # the row key of a case with no conversation yet, before the case's id


def split_paths(text: str) -> list[str]:
    """File paths as typed or pasted: one path may hold spaces ("/media/USB DISK/pair-a.db"); several are
    separated by ";" or a new line, or each is quoted (as a file manager pastes them)."""
    import shlex

    pieces, current, quote = [], "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in ";\n":
            pieces.append(current)
            current = ""
            continue
        current += char
    pieces.append(current)
    paths: list[str] = []
    for piece in (p.strip() for p in pieces):
        if not piece:
            continue
        if any(mark in piece for mark in ("'", '"', "\\ ")):
            try:
                paths.extend(p for p in shlex.split(piece) if p)
                continue
            except ValueError:
                pass  # an unbalanced quote: take the text as it is
        paths.append(piece)
    return paths


def _quoted(path: str) -> str:
    """A path as it can be typed back into the dialog."""
    if ";" in path or "'" in path or '"' in path or "\\ " in path:
        import shlex

        return shlex.quote(path)
    return path


def _status_text(status: str) -> str:
    glyph = {"in_progress": "▶", "ended": "■", "sent_for_checking": "✉", "checked": "✓"}[status]
    return f"{glyph} {STATUS_LABELS[status]}"
