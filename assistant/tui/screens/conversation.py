"""The conversation screen: where the pair spends the hour with the practitioner.

Left: the sections and their state (SectionList). Centre: who and how long (ContextBar); the current
prompt, large and calm, with probes and what to listen for on demand (PromptPanel); the notes editor,
autosaved (NoteEditor); the notes already taken here (NotesList). The widgets post messages; this screen
calls the core and renders them all from one snapshot of the conversation.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from assistant.coach import note_hints
from assistant.conversation import Conversation, ConversationError, ConversationState, GateLocked, Stop
from assistant.store import StoreBusy, StoreError
from assistant.tui.guard import guarded, shielded
from assistant.tui.keys import shown_in_help
from assistant.tui.safe import safe
from assistant.tui.screens import corrections
from assistant.tui.screens.corrections import MomentsScreen, ask_gate_reason, ask_reason
from assistant.tui.screens.dialogs import ChronologyScreen, Choice, TagPicker
from assistant.tui.widgets.context_bar import ContextBar
from assistant.tui.widgets.note_editor import NoteEditor
from assistant.tui.widgets.notes_list import NotesList
from assistant.tui.widgets.prompt_panel import PromptPanel
from assistant.tui.widgets.section_list import SectionList, go_to_options
from assistant.settings import autosave_seconds  # the interval and its checks: assistant/settings.py

def export_record(screen: "ConversationScreen", fmt: str) -> None:
    from assistant.tui.screens.summary import export_record_to_default

    export_record_to_default(screen.app, screen.conversation, fmt)


class ConversationCommands(Provider):
    """Command palette entries: "section: …", "moment: …", "note: …", "export: …"."""

    async def search(self, query: str) -> Hits:
        screen = self.screen
        if not isinstance(screen, ConversationScreen):
            return
        matcher = self.matcher(query)
        commands: list[tuple[str, Any, str]] = []
        state = screen.state or screen.conversation.state()
        for stop in state.stops:
            label = f"section: {stop.section.title}"
            if stop.episode:
                label += f" · moment {stop.episode_index + 1}: {stop.episode['title']}"
            commands.append((label, lambda s=stop: screen.go_to_stop(s), "Go to this part of the conversation"))
        for episode in state.episodes:
            commands.append((f"moment: rename {episode['title']}", screen.action_moments, "Manage key moments"))
        commands += [
            ("moment: add, reorder or delete key moments", screen.action_moments, "Key moments"),
            ("conversation: correct the labels", lambda: corrections.relabel(screen.app, screen.conversation,
                                                                              screen.app.say), "With a reason"),
            ("note: save", screen.action_save_note, "Save the note being typed"),
            ("note: tags", screen.action_tags, "Tag the note"),
            ("note: switch author (lead / second)", screen.action_switch_author, "Who is writing"),
            ("prompt: mark asked, skipped, declined or later", screen.action_mark, "Prompt paradata"),
            ("prompt: show probes and what to listen for", screen.action_guidance, "Guidance"),
            ("records: show the case chronology", screen.action_records, "Locked until the own account"),
            ("conversation: end and summarise", screen.action_finish, "Coverage and closing checklist"),
            ("export: record as Word (docx)", lambda: export_record(screen, "docx"), "Typed-up record"),
            ("export: record as Markdown", lambda: export_record(screen, "md"), "Typed-up record"),
        ]
        for label, callback, help_text in commands:
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), callback, help=help_text)


@shown_in_help("Conversation", 3)
class ConversationScreen(Screen):
    """One conversation, step by step. The widgets ask through messages; the screen calls the core."""

    COMMANDS = {ConversationCommands}
    BINDINGS = [
        Binding("ctrl+s", "save_note", "Save note", id="conversation.save", priority=True),
        Binding("f10", "mark", "Mark", id="conversation.mark", priority=True),  # F10, F12 first: seen at 80 columns
        Binding("f12", "finish", "End", id="conversation.end", priority=True),
        Binding("ctrl+n", "step(1)", "Next", id="conversation.next", priority=True),
        Binding("ctrl+b", "step(-1)", "Back", id="conversation.back", priority=True),
        Binding("ctrl+g", "go_to", "Go to", id="conversation.goto", priority=True),
        Binding("ctrl+t", "tags", "Tags", id="conversation.tags", priority=True),
        Binding("ctrl+o", "moments", "Moments", id="conversation.moments", priority=True),
        Binding("ctrl+l", "guidance", "Probes", id="conversation.guidance", priority=True),
        Binding("f8", "prompt(-1)", "Prev prompt", show=False, id="conversation.prompt_previous", priority=True),
        Binding("f9", "prompt(1)", "Next prompt", show=False, id="conversation.prompt_next", priority=True),
        Binding("f11", "switch_author", "Author", show=False, id="conversation.author", priority=True),
        Binding("ctrl+r", "records", "Records", show=False, id="conversation.records", priority=True),
        Binding("escape", "home", "Home", show=False, id="conversation.home"),
        Binding("f2", "quick_tag(0)", "Quick tag 1", show=False, id="conversation.tag1", priority=True),
        Binding("f3", "quick_tag(1)", "Quick tag 2", show=False, id="conversation.tag2", priority=True),
        Binding("f4", "quick_tag(2)", "Quick tag 3", show=False, id="conversation.tag3", priority=True),
        Binding("f5", "quick_tag(3)", "Quick tag 4", show=False, id="conversation.tag4", priority=True),
    ]

    def __init__(self, conversation_id: str) -> None:
        super().__init__()
        self.conversation_id = conversation_id
        self.show_guidance = False
        self.state: ConversationState | None = None  # the snapshot the screen was last rendered from

    # ---------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        self.conversation = Conversation(self.app.store, self.app.structure, self.conversation_id)
        yield Header()
        if self.conversation.is_rehearsal:
            yield Static(Text("REHEARSAL · fictional practitioner · not part of any review", style="bold reverse"),
                         id="rehearsal-banner", classes="banner")
        yield corrections.show_read_only(Static(id="read-only-notice", classes="banner"), self.conversation.row)
        with Horizontal(id="conversation"):
            yield SectionList(id="sections")
            with Vertical(id="main"):
                yield ContextBar(self.app.clock, id="context-bar")
                yield PromptPanel(id="prompt-area")
                yield from self.compose_extra()
                self.editor = NoteEditor(self.conversation.drafts, self.app.structure.tag_by_id, id="editor",
                                         soft_wrap=True, show_line_numbers=False)
                yield self.editor
                yield Static(id="note-hint")
                yield NotesList(id="notes")
        yield Footer()

    def compose_extra(self) -> ComposeResult:
        """Rehearsal adds its question box here."""
        return iter(())

    def on_resize(self, event) -> None:
        self.set_class(event.size.height < 30, "short")
        narrow = event.size.width < 90
        if narrow != self.has_class("narrow"):
            self.set_class(narrow, "narrow")
            if self.state:
                self.query_one(PromptPanel).show(self.state, guidance=self.show_guidance, narrow=narrow)

    def on_mount(self) -> None:
        self.set_class(self.app.size.width < 90, "narrow")
        self.set_class(self.app.size.height < 30, "short")
        self.conversation.walk.resume()
        self._render_all(load_draft=True)
        interval, notice = autosave_seconds()
        if notice and not getattr(self.app, "autosave_notice_shown", False):
            self.app.autosave_notice_shown = True  # once per run, not per conversation opened
            self.app.say(notice, error=True)
        self.set_interval(interval, self.save_draft_now)
        self.focus_start()

    def focus_start(self) -> None:
        """Where typing starts: the note editor (rehearsal starts at the question box)."""
        self.editor.focus()

    # ---------------------------------------------------------------- rendering
    @guarded
    def _render_all(self, load_draft: bool = False) -> None:
        """Render everything from one snapshot of the conversation (read once, not per widget)."""
        before = self.state
        state = self.state = self.conversation.state()
        moved = before is None or state.stop.key != before.stop.key
        self.query_one(SectionList).show(state)
        self.query_one(PromptPanel).show(state, guidance=self.show_guidance, narrow=self.has_class("narrow"))
        self.query_one(NotesList).show(state.notes, self.app.structure.tag_by_id)
        editor = self.editor
        editor.show_title()
        self.query_one(ContextBar).show(state, moved)
        corrections.show_read_only(self.query_one("#read-only-notice", Static), state.row)
        if load_draft or moved:
            editor.load(state.draft, state.stop.slot, state.stop.section.default_tags)

    @on(NoteEditor.Changed, "#editor")
    def _hint(self, event: NoteEditor.Changed) -> None:
        hints = note_hints(self.app.structure, event.text_area.text)
        self.query_one("#note-hint", Static).update(Text(f"Hint: {hints[0]}", style="italic") if hints else Text(""))

    @on(NoteEditor.Notice)
    def _notice(self, event: NoteEditor.Notice) -> None:
        self.app.say(event.text, error=event.error)

    # ---------------------------------------------------------------- drafts
    def save_draft_now(self) -> None:
        """Autosave (see NoteEditor.autosave): never raises."""
        self.editor.autosave()

    @guarded
    def leave_conversation(self) -> None:
        self.save_draft_now()
        self.conversation.walk.pause()

    # ---------------------------------------------------------------- notes
    @on(NoteEditor.SaveRequested)  # the editor asks again while another program holds the lock
    @guarded(what="saving the note")
    def action_save_note(self) -> None:
        editor = self.editor
        text = editor.text
        if not text.strip():
            self.app.say("Type the note first, then Ctrl+S to save it.")
            return
        note_id = editor.editing_note
        try:
            if note_id:
                if self.conversation.row["status"] in ("sent_for_checking", "checked"):
                    ask_reason(self.app, "Why is this being corrected?", "Reason (kept with the previous version)",
                               "The record has gone to the practitioner for checking.", "Save correction",
                               lambda reason: self._saved(lambda: self.conversation.notes.edit(
                                   note_id, text, reason, clear_draft=f"edit/{note_id}")))
                    return
                saved = self.conversation.notes.edit(note_id, text, "", clear_draft=editor.draft_slot)
            else:  # the draft goes in the same transaction as the note
                saved = self.conversation.notes.add(text, editor.pending_tags, author_role=editor.author,
                                                    clear_draft=editor.draft_slot)
        except ConversationError as error:
            if self.state and self.state.stop.section.requires_tag_group and "category" in str(error):
                self._pick_required_tag()
                return
            self.app.say(str(error), error=True)
            return
        except StoreBusy as error:
            # Another program holds the lock: keep the text and save it as soon as the lock goes.
            if editor.keep_retrying():
                self.app.say(f"{error} Saving automatically when it is free.", error=True)
            return
        except StoreError as error:
            self.app.say(f"The note was not saved: {error} Your text is still in the editor.", error=True)
            return
        editor.stop_retrying()
        self._saved(lambda: saved)
        editor.focus()

    def _saved(self, save) -> None:
        """Run `save` (a correction saves only once its reason is given), then clear the editor."""
        try:
            saved = save()
        except StoreError as error:
            self.app.say(str(error), error=True)
            return
        if saved.changes:
            self.app.say("Saved; " + "; ".join(saved.changes) + ".")
        self.editor.saved()
        self._render_all()

    def _pick_required_tag(self) -> None:
        group = self.state.stop.section.requires_tag_group  # type: ignore[union-attr]

        def chosen(tags: list[str] | None) -> None:
            if tags:
                self.editor.pending_tags = list(dict.fromkeys([*self.editor.pending_tags, *tags]))
                self.action_save_note()

        self.app.push_screen(TagPicker(self.app.structure, self.editor.pending_tags,
                                       "Which influence is this? Choose a category", only_group=group),
                             shielded(self.app, chosen))

    @guarded
    def action_tags(self) -> None:
        note_id = self.query_one(NotesList).selected_note()
        if note_id:
            note = next(n for n in self.conversation.state().notes if n["id"] == note_id)

            def retag(tags: list[str] | None) -> None:
                if tags is not None:
                    try:
                        self.conversation.notes.set_tags(note_id, tags)
                    except StoreError as error:
                        self.app.say(str(error), error=True)
                    self._render_all()

            self.app.push_screen(TagPicker(self.app.structure, note["tags"], "Tags for this note"),
                                 shielded(self.app, retag))
            return

        def chosen(tags: list[str] | None) -> None:
            if tags is not None:
                self.editor.pending_tags = tags
                self.editor.show_title()

        self.app.push_screen(TagPicker(self.app.structure, self.editor.pending_tags, "Tags for the next note"),
                             shielded(self.app, chosen))

    @guarded
    def action_quick_tag(self, index: int) -> None:
        keyed = sorted((t for t in self.app.structure.codebook.tags if t.key), key=lambda t: t.key or "")
        if index < len(keyed):
            self.editor.toggle_tag(keyed[index].id)
            self.editor.show_title()

    @guarded
    def action_switch_author(self) -> None:
        self.editor.switch_author()
        self.editor.show_title()

    @on(NotesList.EditRequested)
    @guarded
    def _edit_requested(self, event: NotesList.EditRequested) -> None:
        self.save_draft_now()
        note = next(n for n in self.conversation.state().notes if n["id"] == event.note_id)
        editor = self.editor
        editor.edit_note(event.note_id, self.conversation.drafts.get(f"edit/{event.note_id}") or note["body"],
                         note["tags"])
        editor.show_title()
        editor.focus()

    @on(NotesList.DeleteRequested)
    @guarded
    def _delete_requested(self, event: NotesList.DeleteRequested) -> None:
        notes = self.query_one(NotesList)
        if event.restore:
            self.conversation.notes.restore(event.note_id)
            notes.last_deleted = None
        else:
            self.conversation.notes.delete(event.note_id)
            notes.last_deleted = event.note_id
        self._render_all()
        self.app.say("Note restored." if event.restore else "Note deleted. Press U to undo.")

    # ---------------------------------------------------------------- moving
    @guarded
    def go_to_stop(self, stop: Stop, override_reason: str | None = None) -> None:
        self.save_draft_now()
        episode_id = stop.episode["id"] if stop.episode else None
        try:
            self.conversation.walk.go_to(stop.section.id, episode_id, override_reason=override_reason)
        except GateLocked as locked:
            ask_gate_reason(self.app, str(locked), lambda reason: self.go_to_stop(stop, reason))
            return
        self._render_all()
        self.editor.focus()

    @guarded
    def action_step(self, delta: int) -> None:
        self.save_draft_now()
        self.conversation.walk.step(delta, state=self.state)
        self._render_all()

    @guarded
    def action_prompt(self, delta: int) -> None:
        if self.state is not None:  # the snapshot on screen says where the pair is
            self.conversation.walk.set_prompt(self.state.prompt_index + delta, state=self.state)
        self._render_all()

    @guarded
    def action_go_to(self) -> None:
        options, current = go_to_options(self.conversation.state())
        self.app.push_screen(
            Choice("Go to", options, "Enter to go · Esc to stay", highlighted=current),
            lambda stop: self.go_to_stop(stop) if stop else None,
        )

    @on(SectionList.StopChosen)
    def _stop_chosen(self, event: SectionList.StopChosen) -> None:
        self.go_to_stop(event.stop)

    @guarded
    def action_guidance(self) -> None:
        self.show_guidance = not self.show_guidance
        if self.state:
            self.query_one(PromptPanel).show(self.state, guidance=self.show_guidance, narrow=self.has_class("narrow"))

    @guarded
    def action_mark(self) -> None:
        if self.state is None:
            return
        stop = self.state.stop
        state = self.conversation.state()
        prompt = state.prompt
        options: list[tuple[Text | str, Any]] = [
            ("Asked", ("mark", "asked")),
            ("Skipped", ("mark", "skipped")),
            ("Declined by the practitioner", ("mark", "declined")),
            ("Come back later", ("mark", "later")),
        ]
        for item in state.later:
            label = Text("↻ Later: ")
            label.append(safe(f"{item.stop.heading}: {item.prompt.text}", single_line=True))
            options.append((label, ("later", item)))

        def chosen(value) -> None:
            if not value:
                return
            if value[0] == "mark":
                if stop.section.mode == "per_episode" and not stop.episode:
                    self.app.say("Name a key moment first (Ctrl+O).")
                    return
                self.conversation.marks.mark(prompt.id, value[1])
                self.conversation.walk.set_prompt(self.conversation.walk.prompt_index + 1)  # every mark moves on
            else:
                item = value[1]
                self.go_to_stop(item.stop)
                self.conversation.walk.set_prompt(item.prompt_index)
            self._render_all()

        self.app.push_screen(Choice(f"Mark: {prompt.text}", options, "Enter to choose · Esc to cancel"),
                             shielded(self.app, chosen))

    @guarded
    def action_moments(self) -> None:
        self.save_draft_now()
        self.app.push_screen(MomentsScreen(self.conversation), lambda _: self._render_all())

    @guarded
    def action_records(self) -> None:
        def show() -> None:
            try:
                entries = self.conversation.gate.reveal_chronology()
            except GateLocked as locked:
                ask_gate_reason(self.app, str(locked), lambda reason: (self.conversation.gate.open(reason), show(),
                                                                       self._render_all()))
                return
            case = self.conversation.case
            self.app.push_screen(ChronologyScreen(entries, f"Chronology · {case['reference']} · {case['label']}"))

        show()

    @guarded
    def action_finish(self) -> None:
        self.save_draft_now()
        from assistant.tui.screens.summary import SummaryScreen

        self.app.push_screen(SummaryScreen(self.conversation), lambda _: self._render_all())

    @guarded
    def action_home(self) -> None:
        if self.editor.editing_note:
            self.save_draft_now()
            state = self.conversation.state()
            self.editor.load(state.draft, state.stop.slot, state.stop.section.default_tags)
            return
        self.leave_conversation()
        self.app.pop_screen()
