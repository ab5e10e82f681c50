"""The conversation screen: where the pair spends the hour with the practitioner.

Left: the sections and their state. Centre: the current prompt, large and calm; probes and what to
listen for on demand; the notes editor (autosaved); the notes already taken here.
"""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from assistant.coach import note_hints
from assistant.conversation import (
    MARK_LABELS, Conversation, ConversationError, ConversationState, GateLocked, Stop, build_coverage,
)
from assistant.store import StoreBusy, StoreError
from assistant.tui.guard import describe, guarded, shielded
from assistant.tui.keys import shown_in_help
from assistant.tui.safe import safe
from assistant.tui.screens.dialogs import ChronologyScreen, Choice, MomentsScreen, TagPicker, TextPrompt
from assistant.tui.widgets.safe_inputs import SafeTextArea
from assistant.settings import autosave_seconds  # the interval and its checks: assistant/settings.py
from assistant.workflows import format_duration

STATE_GLYPHS = {
    "current": "▶",
    "covered": "✓",
    "visited": "•",
    "skipped": "–",
    "not reached": "○",
    "locked": "⊘",
}
AUTOSAVE_BACKOFF_SECONDS = 5.0
SAVE_RETRY_SECONDS = 1.0


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
            ("moment: add or reorder key moments", screen.action_moments, "Key moments"),
            ("note: save", screen.action_save_note, "Save the note being typed"),
            ("note: tags", screen.action_tags, "Tag the note"),
            ("note: switch author (lead / second)", screen.action_switch_author, "Who is writing"),
            ("prompt: mark asked, skipped, declined or later", screen.action_mark, "Prompt paradata"),
            ("prompt: show probes and what to listen for", screen.action_guidance, "Guidance"),
            ("records: show the case chronology", screen.action_records, "Locked until the own account"),
            ("conversation: end and summarise", screen.action_finish, "Coverage and closing checklist"),
            ("export: record as Word (docx)", lambda: screen.export_record("docx"), "Typed-up record"),
            ("export: record as Markdown", lambda: screen.export_record("md"), "Typed-up record"),
        ]
        for label, callback, help_text in commands:
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), callback, help=help_text)


@shown_in_help("Conversation", 3)
class ConversationScreen(Screen):
    """One conversation, step by step."""

    COMMANDS = {ConversationCommands}
    BINDINGS = [
        Binding("ctrl+s", "save_note", "Save note", id="conversation.save", priority=True),
        Binding("ctrl+n", "step(1)", "Next", id="conversation.next", priority=True),
        Binding("ctrl+b", "step(-1)", "Back", id="conversation.back", priority=True),
        Binding("ctrl+g", "go_to", "Go to", id="conversation.goto", priority=True),
        Binding("ctrl+t", "tags", "Tags", id="conversation.tags", priority=True),
        Binding("ctrl+o", "moments", "Moments", id="conversation.moments", priority=True),
        Binding("ctrl+l", "guidance", "Probes", id="conversation.guidance", priority=True),
        Binding("f8", "prompt(-1)", "Prev prompt", show=False, id="conversation.prompt_previous", priority=True),
        Binding("f9", "prompt(1)", "Next prompt", show=False, id="conversation.prompt_next", priority=True),
        Binding("f10", "mark", "Mark", id="conversation.mark", priority=True),
        Binding("f11", "switch_author", "Author", show=False, id="conversation.author", priority=True),
        Binding("ctrl+r", "records", "Records", show=False, id="conversation.records", priority=True),
        Binding("f12", "finish", "End", id="conversation.end", priority=True),
        Binding("escape", "home", "Home", show=False, id="conversation.home"),
        Binding("f2", "quick_tag(0)", "Quick tag 1", show=False, id="conversation.tag1", priority=True),
        Binding("f3", "quick_tag(1)", "Quick tag 2", show=False, id="conversation.tag2", priority=True),
        Binding("f4", "quick_tag(2)", "Quick tag 3", show=False, id="conversation.tag3", priority=True),
        Binding("f5", "quick_tag(3)", "Quick tag 4", show=False, id="conversation.tag4", priority=True),
        Binding("e", "edit_note", "Edit note", show=False, id="conversation.edit_note"),
        Binding("d", "delete_note", "Delete note", show=False, id="conversation.delete_note"),
        Binding("u", "undo_delete", "Undo delete", show=False, id="conversation.undo_delete"),
    ]

    def __init__(self, conversation_id: str) -> None:
        super().__init__()
        self.conversation_id = conversation_id
        self.pending_tags: list[str] = []
        self.author = "second"
        self.show_guidance = False
        self.editing_note: str | None = None
        self.last_deleted: str | None = None
        self._dirty = False
        self._clean_text = ""  # what the database holds for the editor's slot: no need to save it again
        self._stop: Stop | None = None
        self.state: ConversationState | None = None  # the snapshot the screen was last rendered from
        self._entered = time.monotonic()
        self._base_total = 0.0
        self._base_section = 0.0
        self._autosave_paused_until = 0.0
        self._autosave_failed = False
        self._retry_timer = None

    # ---------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        self.conversation = Conversation(self.app.store, self.app.structure, self.conversation_id)
        yield Header()
        if self.conversation.is_rehearsal:
            yield Static(Text("REHEARSAL · fictional practitioner · not part of any review", style="bold reverse"),
                         id="rehearsal-banner", classes="banner")
        with Horizontal(id="conversation"):
            yield OptionList(id="sections")
            with Vertical(id="main"):
                with Horizontal(id="context-bar"):
                    yield Static(id="context-line")
                    yield Static(id="clock")
                with VerticalScroll(id="prompt-area"):
                    yield Static(id="section-heading")
                    yield Static(id="prompt")
                    yield Static(id="guidance")
                    yield Static(id="later-line")
                yield from self.compose_extra()
                yield SafeTextArea(id="editor", soft_wrap=True, show_line_numbers=False)
                yield Static(id="note-hint")
                yield OptionList(id="notes")
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
                self._render_prompt(self.state)

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
        if self.app.clock:
            self.set_interval(1.0, self._tick)
        self.focus_start()

    def focus_start(self) -> None:
        """Where typing starts: the note editor (rehearsal starts at the question box)."""
        self.query_one("#editor").focus()

    # ---------------------------------------------------------------- rendering
    @guarded
    def _render_all(self, load_draft: bool = False) -> None:
        """Render everything from one snapshot of the conversation (read once, not per widget)."""
        state = self.state = self.conversation.state()
        stop = state.stop
        changed = self._stop is None or stop.key != self._stop.key
        self._stop = stop
        if changed:
            coverage = build_coverage(state)
            self._entered = time.monotonic()
            self._base_total = coverage.total_seconds
            self._base_section = coverage.seconds_by_section.get(stop.section.id, 0.0)
        self._render_sections(state)
        self._render_prompt(state)
        self._render_notes(state)
        self._render_context(state)
        if load_draft or changed:
            self._load_editor(state)

    def _render_context(self, state: ConversationState) -> None:
        row, case = state.row, state.case
        who = f"{row['practitioner_role']}" + (f" · {row['agency']}" if row["agency"] else "")
        self.query_one("#context-line", Static).update(
            safe(f"{case['reference']} · {case['label']} · {who}", "bold", single_line=True)
        )
        self._tick()

    def _tick(self) -> None:
        if not self.app.clock:
            return
        elapsed = time.monotonic() - self._entered
        self.query_one("#clock", Static).update(Text(
            f"⏱ {format_duration(self._base_total + elapsed)} · here {format_duration(self._base_section + elapsed)}",
            style="dim",
        ))

    def _render_sections(self, snapshot: ConversationState) -> None:
        options = self.query_one("#sections", OptionList)
        highlighted = None
        options.clear_options()
        for index, (stop, state) in enumerate(zip(snapshot.stops, snapshot.section_states)):
            if index == snapshot.stop_index:
                state = "current"
                highlighted = index
            glyph = STATE_GLYPHS[state]
            if stop.episode:
                label = Text(f"{glyph} ")
                label.append(safe(f"M{stop.episode_index + 1} {stop.section.title}", single_line=True))
            else:
                label = Text(f"{glyph} {stop.section.title}")
            if state == "current":
                label.stylize("bold")
            options.add_option(Option(label, id=str(index)))
        if highlighted is not None:
            options.highlighted = highlighted

    def _render_prompt(self, state: ConversationState) -> None:
        stop = state.stop
        section = stop.section
        index = state.prompt_index
        prompt = section.prompts[index]
        heading = Text(section.title, style="bold")
        if section.mode == "per_episode":
            if stop.episode:
                heading.append(f"  ·  Moment {stop.episode_index + 1} of {stop.episode_count} — ")
                heading.append(safe(stop.episode["title"], "italic", single_line=True))
            else:
                heading.append("  ·  no key moments yet: name them in Key moments (Ctrl+O)")
        if not self.has_class("narrow"):  # on a small terminal the purpose moves behind Ctrl+L
            heading.append(f"\n{section.purpose.strip()}", style="dim")
        self.query_one("#section-heading", Static).update(heading)
        mark = state.mark
        prompt_text = Text(prompt.text, style="bold")
        status = f"\nPrompt {index + 1} of {len(section.prompts)}"
        if mark:
            status += f" · marked {MARK_LABELS[mark]}"
        prompt_text.append(status + "  (F8/F9 other prompts, F10 mark)", style="dim")
        self.query_one("#prompt", Static).update(prompt_text)
        guidance = self.query_one("#guidance", Static)
        if self.show_guidance:
            text = Text()
            if self.has_class("narrow"):
                text.append(f"  {section.purpose.strip()}\n", style="dim")
            for probe in prompt.probes:
                text.append(f"  › {probe}\n")
            for listen in prompt.listen_for:
                text.append(f"  Listen for: {listen}\n", style="italic")
            if section.hindsight_reminder:
                text.append(f"  ⚑ {section.hindsight_reminder}\n", style="italic")
            guidance.update(text or Text("  No probes for this prompt."))
        elif section.hindsight_reminder:
            guidance.update(Text(f"⚑ {section.hindsight_reminder}", style="italic"))
        else:
            guidance.update(Text("Ctrl+L shows probes and what to listen for.", style="dim"))
        later = state.later
        self.query_one("#later-line", Static).update(
            Text(f"{len(later)} prompt(s) left for later (F10 to see them).", style="dim") if later else Text("")
        )

    def _render_notes(self, state: ConversationState) -> None:
        options = self.query_one("#notes", OptionList)
        options.clear_options()
        notes = state.notes
        tag_by_id = self.app.structure.tag_by_id
        for note in notes:
            labels = ", ".join(tag_by_id[t].label for t in note["tags"] if t in tag_by_id)
            line = Text(f"[{note['author_role']}] ", style="bold")
            line.append(safe(note["body"]))
            if labels:
                line.append(f"\n    {labels}", style="dim italic")
            options.add_option(Option(line, id=note["id"]))
        if not notes:
            options.add_option(Option(Text("No notes here yet.", style="dim"), id="none", disabled=True))
        self._render_editor_title()

    def _render_editor_title(self) -> None:
        editor = self.query_one("#editor", SafeTextArea)
        tag_by_id = self.app.structure.tag_by_id
        section = self._stop.section if self._stop else None
        shown = list(dict.fromkeys([*(section.default_tags if section else ()), *self.pending_tags]))
        tags = ", ".join(tag_by_id[t].label for t in shown) or "none"
        what = "Editing note" if self.editing_note else "Note"
        editor.border_title = f"{what} · {self.author} · tags: {tags}"
        editor.border_subtitle = "Ctrl+S save · Ctrl+T tags · F2–F5 quick tags"

    # ---------------------------------------------------------------- drafts
    def _slot(self) -> str:
        if self.editing_note:
            return f"edit/{self.editing_note}"
        return self._stop.slot if self._stop else ""

    def _load_editor(self, state: ConversationState) -> None:
        editor = self.query_one("#editor", SafeTextArea)
        self.editing_note = None
        self.pending_tags = []
        editor.text = self._clean_text = state.draft
        editor.move_cursor(editor.document.end)
        self._dirty = False
        self._render_editor_title()

    @on(SafeTextArea.Changed, "#editor")
    def _typed(self, event: SafeTextArea.Changed) -> None:
        self._dirty = event.text_area.text != self._clean_text
        hints = note_hints(self.app.structure, event.text_area.text)
        self.query_one("#note-hint", Static).update(
            Text(f"Hint: {hints[0]}", style="italic") if hints else Text("")
        )

    @on(SafeTextArea.InputRefused)
    def _refused(self, event: SafeTextArea.InputRefused) -> None:
        self.app.say(event.reason, error=True)

    @on(SafeTextArea.InputCleaned)
    def _cleaned(self, event: SafeTextArea.InputCleaned) -> None:
        self.app.say("Pasted text was cleaned: " + "; ".join(event.changes) + ".")

    def save_draft_now(self) -> None:
        """Autosave: the editor's text is kept in the database within a second of typing.

        When the database refuses (busy, full, read-only) the text stays in the editor, the user is
        told once, and autosave backs off for a few seconds instead of retrying in a tight loop.
        """
        if not self._dirty or self._stop is None or time.monotonic() < self._autosave_paused_until:
            return
        try:
            text = self.query_one("#editor", SafeTextArea).text
            self.conversation.drafts.save(self._slot(), text)
            self._clean_text = text
            self._dirty = False
            self._autosave_failed = False
        except Exception as error:  # noqa: BLE001 - a timer must never stop the app
            self._autosave_paused_until = time.monotonic() + AUTOSAVE_BACKOFF_SECONDS
            if not self._autosave_failed:
                self.app.say(f"{describe(error, 'saving the draft')} The draft is kept on screen.", error=True)
            self._autosave_failed = True

    @guarded
    def leave_conversation(self) -> None:
        self.save_draft_now()
        self.conversation.walk.pause()

    # ---------------------------------------------------------------- notes
    @guarded(what="saving the note")
    def action_save_note(self) -> None:
        editor = self.query_one("#editor", SafeTextArea)
        text = editor.text
        if not text.strip():
            self.app.say("Type the note first, then Ctrl+S to save it.")
            return
        try:
            if self.editing_note:
                reason = ""
                if self.conversation.row["status"] in ("sent_for_checking", "checked"):
                    self._ask_correction_reason(text)
                    return
                saved = self.conversation.notes.edit(self.editing_note, text, reason, clear_draft=self._slot())
            else:  # the draft goes in the same transaction as the note
                saved = self.conversation.notes.add(text, self.pending_tags, author_role=self.author,
                                                    clear_draft=self._slot())
        except ConversationError as error:
            if self._stop and self._stop.section.requires_tag_group and "category" in str(error):
                self._pick_required_tag()
                return
            self.app.say(str(error), error=True)
            return
        except StoreBusy as error:
            # Another program holds the lock: keep the text and save it as soon as the lock goes.
            if self._retry_timer is None:
                self.app.say(f"{error} Saving automatically when it is free.", error=True)
                self._retry_timer = self.set_interval(SAVE_RETRY_SECONDS, self._retry_save)
            return
        except StoreError as error:
            self.app.say(f"The note was not saved: {error} Your text is still in the editor.", error=True)
            return
        self._stop_retrying()
        if saved.changes:
            self.app.say("Saved; " + "; ".join(saved.changes) + ".")
        self.editing_note = None
        self.pending_tags = []
        editor.text = self._clean_text = ""
        self._dirty = False
        self._render_all()
        editor.focus()

    @guarded
    def _retry_save(self) -> None:
        if not self.query_one("#editor", SafeTextArea).text.strip():
            self._stop_retrying()
            return
        self.action_save_note()

    def _stop_retrying(self) -> None:
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
            self.app.say("Saved.")

    def _ask_correction_reason(self, text: str) -> None:
        note_id = self.editing_note

        def corrected(values: dict[str, str] | None) -> None:
            if values and note_id:
                try:
                    self.conversation.notes.edit(note_id, text, values["reason"], clear_draft=f"edit/{note_id}")
                except StoreError as error:
                    self.app.say(str(error), error=True)
                    return
                self.editing_note = None
                self.query_one("#editor", SafeTextArea).text = self._clean_text = ""
                self._dirty = False
                self._render_all()

        self.app.push_screen(TextPrompt(
            "Why is this being corrected?", [("reason", "Reason (kept with the previous version)", "")],
            explanation="The record has gone to the practitioner for checking.", confirm="Save correction"),
            corrected)

    def _pick_required_tag(self) -> None:
        section = self._stop.section  # type: ignore[union-attr]
        group = section.requires_tag_group

        def chosen(tags: list[str] | None) -> None:
            if tags:
                self.pending_tags = list(dict.fromkeys([*self.pending_tags, *tags]))
                self.action_save_note()

        self.app.push_screen(TagPicker(self.app.structure, self.pending_tags,
                                       "Which influence is this? Choose a category", only_group=group), shielded(self.app, chosen))

    def _selected_note(self) -> str | None:
        options = self.query_one("#notes", OptionList)
        if not options.has_focus or options.highlighted is None:
            return None
        option = options.get_option_at_index(options.highlighted)
        return None if option.id == "none" else option.id

    @guarded
    def action_tags(self) -> None:
        note_id = self._selected_note()
        if note_id:
            note = next(n for n in self.conversation.state().notes if n["id"] == note_id)

            def retag(tags: list[str] | None) -> None:
                if tags is not None:
                    try:
                        self.conversation.notes.set_tags(note_id, tags)
                    except StoreError as error:
                        self.app.say(str(error), error=True)
                    self._render_all()

            self.app.push_screen(TagPicker(self.app.structure, note["tags"], "Tags for this note"), shielded(self.app, retag))
            return

        def chosen(tags: list[str] | None) -> None:
            if tags is not None:
                self.pending_tags = tags
                self._render_editor_title()

        self.app.push_screen(TagPicker(self.app.structure, self.pending_tags, "Tags for the next note"), shielded(self.app, chosen))

    @guarded
    def action_quick_tag(self, index: int) -> None:
        keyed = sorted((t for t in self.app.structure.codebook.tags if t.key), key=lambda t: t.key or "")
        if index >= len(keyed):
            return
        tag = keyed[index].id
        if tag in self.pending_tags:
            self.pending_tags.remove(tag)
        else:
            self.pending_tags.append(tag)
        self._render_editor_title()

    @guarded
    def action_switch_author(self) -> None:
        self.author = "lead" if self.author == "second" else "second"
        self._render_editor_title()

    @guarded
    def action_edit_note(self) -> None:
        note_id = self._selected_note()
        if not note_id:
            return
        self.save_draft_now()
        note = next(n for n in self.conversation.state().notes if n["id"] == note_id)
        self.editing_note = note_id
        editor = self.query_one("#editor", SafeTextArea)
        editor.text = self.conversation.drafts.get(f"edit/{note_id}") or note["body"]
        self._render_editor_title()
        editor.focus()

    @guarded
    def action_delete_note(self) -> None:
        note_id = self._selected_note()
        if not note_id:
            return
        self.conversation.notes.delete(note_id)
        self.last_deleted = note_id
        self._render_all()
        self.app.say("Note deleted. Press U to undo.")

    @guarded
    def action_undo_delete(self) -> None:
        if self.last_deleted:
            self.conversation.notes.restore(self.last_deleted)
            self.last_deleted = None
            self._render_all()
            self.app.say("Note restored.")

    # ---------------------------------------------------------------- moving
    @guarded
    def go_to_stop(self, stop: Stop, override_reason: str | None = None) -> None:
        self.save_draft_now()
        episode_id = stop.episode["id"] if stop.episode else None
        try:
            self.conversation.walk.go_to(stop.section.id, episode_id, override_reason=override_reason)
        except GateLocked as locked:
            self._ask_gate_reason(str(locked), lambda reason: self.go_to_stop(stop, reason))
            return
        self._render_all()
        self.query_one("#editor").focus()

    def _ask_gate_reason(self, message: str, then) -> None:
        def answered(values: dict[str, str] | None) -> None:
            if values:
                then(values["reason"])

        self.app.push_screen(TextPrompt(
            "Open the wider picture early?", [("reason", "Reason (recorded in the audit trail)", "")],
            explanation=message + " " + (self.app.structure.gate.explanation.strip() if self.app.structure.gate else ""),
            confirm="Open with this reason"), answered)

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
        snapshot = self.conversation.state()
        options = []
        current = 0
        for index, (stop, state) in enumerate(zip(snapshot.stops, snapshot.section_states)):
            if index == snapshot.stop_index:
                state, current = "current", index
            label = Text(f"{STATE_GLYPHS[state]} {stop.section.title}")
            if stop.episode:
                label.append(f" · moment {stop.episode_index + 1}: ")
                label.append(safe(stop.episode["title"], single_line=True))
            label.append(f"  ({state})", style="dim")
            options.append((label, stop))
        self.app.push_screen(
            Choice("Go to", options, "Enter to go · Esc to stay", highlighted=current),
            lambda stop: self.go_to_stop(stop) if stop else None,
        )

    @on(OptionList.OptionSelected, "#sections")
    @guarded
    def _section_clicked(self, event: OptionList.OptionSelected) -> None:
        stop = self.conversation.state().stops[int(event.option.id)]
        self.go_to_stop(stop)

    @guarded
    def action_guidance(self) -> None:
        self.show_guidance = not self.show_guidance
        if self.state:
            self._render_prompt(self.state)

    @guarded
    def action_mark(self) -> None:
        stop = self._stop
        if stop is None:
            return
        prompt = self.conversation.state().prompt
        options: list[tuple[Text | str, Any]] = [
            ("Asked", ("mark", "asked")),
            ("Skipped", ("mark", "skipped")),
            ("Declined by the practitioner", ("mark", "declined")),
            ("Come back later", ("mark", "later")),
        ]
        for item in self.conversation.state().later:
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
                if value[1] != "asked":
                    self.conversation.walk.set_prompt(self.conversation.walk.prompt_index + 1)
                self._render_all()
            else:
                item = value[1]
                self.go_to_stop(item.stop)
                self.conversation.walk.set_prompt(item.prompt_index)
                self._render_all()

        self.app.push_screen(Choice(f"Mark: {prompt.text}", options, "Enter to choose · Esc to cancel"), shielded(self.app, chosen))

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
                self._ask_gate_reason(str(locked), lambda reason: (self.conversation.gate.open(reason), show(),
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

    def export_record(self, fmt: str) -> None:
        from assistant.tui.screens.summary import export_record_to_default

        export_record_to_default(self.app, self.conversation, fmt)

    @guarded
    def action_home(self) -> None:
        if self.editing_note:
            self.save_draft_now()
            self._load_editor(self.conversation.state())
            return
        self.leave_conversation()
        self.app.pop_screen()
