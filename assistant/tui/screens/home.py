"""Home: every case and its conversations; resume, start, rehearse, review, browse the structure."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from assistant.tui.widgets.safe_inputs import SafeInput

from assistant.casegroup import outstanding_counts
from assistant.cases import list_cases
from assistant.conversation import STATUS_LABELS, list_conversations
from assistant.safe_text import visible
from assistant.short_ids import short_id
from assistant.tui.guard import guarded
from assistant.tui.keys import shown_in_help
from assistant.tui.safe import safe


@shown_in_help("Home", 1)
class HomeScreen(Screen):
    """Cases and conversations; the place every session starts."""

    AUTO_FOCUS = "#conversations"

    # The footer shows these in this order and cuts what does not fit: help and the everyday keys first.
    BINDINGS = [
        Binding("f1", "app.help", "Help", id="home.help"),
        Binding("n", "new_conversation", "New conversation", id="home.new"),
        Binding("enter", "resume", "Open", show=False, id="home.open"),
        Binding("v", "review", "Review", id="home.review"),
        Binding("h", "handover", "Hand over", id="home.handover"),
        Binding("g", "gather", "Merge", id="home.merge"),
        Binding("p", "prepare", "Prepare", id="home.prepare"),
        Binding("t", "rehearse", "Rehearse", id="home.rehearse"),
        Binding("s", "structure", "Structure", id="home.structure"),
        Binding("i", "import_chronology", "Import", id="home.import"),
        Binding("slash", "filter", "Find", id="home.filter"),
        Binding("r", "resume", "Resume", show=False, id="home.resume"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static(id="home-intro")
            yield SafeInput(placeholder="Type to narrow the list: a reference, family, role or agency (Esc: back "
                                        "to the list)", id="home-filter")
            yield DataTable(id="conversations", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#conversations", DataTable)
        table.add_columns("Status", "Case", "Practitioner", "Notes", "Agency", "Family", "Last change")
        self.refresh_rows()

    @guarded
    def on_screen_resume(self) -> None:
        self.refresh_rows()

    def refresh_rows(self, focus_list: bool = True) -> None:
        store = self.app.store
        cases = list_cases(store)
        conversations = list_conversations(store)
        table = self.query_one("#conversations", DataTable)
        search = self.query_one("#home-filter", SafeInput)
        # A short list needs no filter; a long one (hundreds of cases) does.
        search.display = len(cases) + len(conversations) > FILTER_FROM or bool(search.value)
        wanted = search.value.strip().casefold()
        table.clear()
        shared = _shared_role_labels(conversations)
        for row in conversations:
            if not _matches(wanted, row["reference"], row["case_label"], row["practitioner_role"], row["agency"]):
                continue
            role = row["practitioner_role"]
            if (row["case_id"], role.casefold()) in shared:
                role = f"{role} · {short_id(row['id'])}"  # two conversations with one label stay apart
            table.add_row(
                Text(_status_text(row["status"])), _cell(row["reference"]), _cell(role),
                Text(str(row["note_count"])), _cell(row["agency"]), _cell(row["case_label"]),
                Text(row["updated_at"][:16].replace("T", " ")), key=row["id"],
            )
        # A case added from the command line or with its chronology, before its first conversation.
        for case in cases:
            if not case["conversations"] and _matches(wanted, case["reference"], case["label"]):
                table.add_row(
                    Text("No conversation yet", style="dim"), _cell(case["reference"]), Text(""), Text("0"),
                    Text(""), _cell(case["label"]), Text(case["created_at"][:16].replace("T", " ")),
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
            text = Text(f"{_count(len(cases), 'case')}, no conversations yet. Choose a case and press Enter, "
                        "or press N, to start one.")
        else:
            in_progress = sum(1 for c in conversations if c["status"] == "in_progress")
            text = Text(
                f"{_count(len(cases), 'case')}, {_count(len(conversations), 'conversation')}, "
                f"{in_progress} in progress. "
                "Choose one and press Enter to resume it where you left off."
            )
        outstanding = outstanding_counts(store)
        if outstanding:
            text.append("\nCase group (P to prepare): ")
            text.append_text(safe(" · ".join(f"{c['reference']}: {outstanding[c['id']]} outstanding"
                                              for c in cases if c["id"] in outstanding)))
        if not store.encrypted:
            text.append("\nThis database is not encrypted. To protect it with a passphrase, quit (Ctrl+Q) "
                        "and run: ", style="italic")
            text.append_text(safe(encrypt_command(store.path), style="bold"))
        self.query_one("#home-intro", Static).update(text)
        table.display = bool(table.row_count) or search.display
        if table.row_count and focus_list:
            table.focus()

    @on(SafeInput.Changed, "#home-filter")
    @guarded
    def _narrow(self) -> None:
        self.refresh_rows(focus_list=False)

    @guarded
    def action_filter(self) -> None:
        search = self.query_one("#home-filter", SafeInput)
        search.display = True
        search.focus()

    def key_escape(self) -> None:
        """Esc in the filter goes back to the narrowed list."""
        if self.query_one("#home-filter", SafeInput).has_focus:
            self.query_one("#conversations", DataTable).focus()

    @on(SafeInput.Submitted, "#home-filter")
    def _to_the_list(self) -> None:
        self.query_one("#conversations", DataTable).focus()

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
            confirm="Merge", action=self._merge, what="the merge", background=True,
            browse={"field": "paths", "several": True}))

    def _merge(self, dialog, values: dict[str, str]) -> str | None:
        """Runs in a worker thread (merging can take a while): each merged file is reported as it is
        done; the files that failed stay in the dialog, each with its reason on a line of its own."""
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
                    failed.append((path, f"{source.name} is a folder; give the hand-over file inside it."))
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
        reasons = "".join(f"\n{Path(path).name or path}: {reason}" for path, reason in failed)
        return f"{len(failed)} files were not merged:{reasons}"

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
            confirm="Make the copy", action=self._handover, what="the hand-over copy",
            browse={"field": "path", "folders": True}))

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
    def action_import_chronology(self) -> None:
        from assistant.tui.screens.dialogs import TextPrompt

        case = self._selected_case()
        if case is None:
            self.app.say("Add a case first (N starts a conversation and its case); then import its chronology.")
            return
        self.app.push_screen(TextPrompt(
            f"Import a chronology into {visible(case['reference'])}",
            [("path", "Chronology CSV file (columns: date, agency, summary, source)", "")],
            explanation="Choose the file below or type its path. The file replaces the case's chronology, "
                        "whole or not at all: a file with a faulty line changes nothing.",
            confirm="Import", action=lambda dialog, values: self._import(case, values["path"]),
            what="the chronology import", browse={"field": "path"}))

    def _selected_case(self) -> dict | None:
        """The case of the highlighted row, else the only case there is."""
        from assistant.cases import get_case

        row_key = self._selected_id()
        cases = list_cases(self.app.store)
        if row_key and row_key.startswith(CASE_ROW):
            case_id = row_key.removeprefix(CASE_ROW)
        elif row_key:
            case_id = next(c["case_id"] for c in list_conversations(self.app.store) if c["id"] == row_key)
        elif len(cases) == 1:
            case_id = cases[0]["id"]
        else:
            return None
        return get_case(self.app.store, next(c["reference"] for c in cases if c["id"] == case_id))

    def _import(self, case: dict, typed: str) -> str | None:
        from pathlib import Path

        from assistant.cases import import_chronology

        paths = split_paths(typed)
        if len(paths) != 1:
            return "Give the path of one chronology CSV file."
        count = import_chronology(self.app.store, case["reference"], Path(paths[0]).expanduser())
        entries = "1 chronology entry" if count == 1 else f"{count} chronology entries"
        self.app.say(f"{entries} imported into "
                     f"{visible(case['reference'])}.")
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
FILTER_FROM = 20  # rows: more than a screenful, and the filter is shown
CELL_CHARS = 24  # a long label is cut, so the other columns stay on screen


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def _cell(value: object) -> Text:
    text = safe(value, single_line=True)
    if text.cell_len > CELL_CHARS:
        text.truncate(CELL_CHARS, overflow="ellipsis")
    return text


def _matches(wanted: str, *fields: object) -> bool:
    return not wanted or any(wanted in str(field or "").casefold() for field in fields)


def _shared_role_labels(conversations: list[dict]) -> set[tuple[str, str]]:
    """(case id, role label) used by more than one conversation of that case."""
    from collections import Counter

    counts = Counter((row["case_id"], row["practitioner_role"].casefold()) for row in conversations)
    return {key for key, number in counts.items() if number > 1}


def encrypt_command(db_path: str | object) -> str:
    """The command that encrypts this database, as it can be typed: `--db` names any file but the default
    one (relative to the folder the assistant was started in, when it lies there)."""
    import shlex
    from pathlib import Path

    from assistant.settings import default_db_path

    path = Path(str(db_path)).resolve()
    if path == default_db_path().resolve():
        return "learning-together encrypt"
    try:
        shown = str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        shown = str(path)
    return f"learning-together --db {shlex.quote(shown)} encrypt"


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
