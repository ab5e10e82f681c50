"""Untrusted text never reaches the terminal raw and markup is never interpreted."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.text import Text

from assistant.safe_text import clean_input, visible
from assistant.tui.safe import safe

PAYLOADS = {
    "clear screen": "\x1b[2J\x1b[H",
    "OSC 0 title": "\x1b]0;owned\x07",
    "OSC 8 link": "\x1b]8;;https://example.invalid\x1b\\click\x1b]8;;\x1b\\",
    "OSC 52 clipboard": "\x1b]52;c;ZXZpbA==\x07",
    "C1 CSI": "\x9b31m",
    "C1 OSC": "\x9d0;title\x9c",
    "bidi override": "abc\u202edcba",
    "lone surrogate": "x\ud800y",
    "bell and backspace": "a\x07b\x08c",
    "DCS": "\x1bPq#0;2;0;0;0\x1b\\",
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_payloads_become_visible_placeholders(name):
    payload = PAYLOADS[name]
    shown = visible(f"before {payload} after")
    assert shown.startswith("before ") and shown.endswith(" after")
    for char in shown:
        code = ord(char)
        assert not (code < 0x20 and char not in "\n\t"), (name, repr(shown))
        assert not (0x7F <= code <= 0x9F), (name, repr(shown))
        assert char not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
        assert not 0xD800 <= code <= 0xDFFF
    console = Console(file=None, force_terminal=True, color_system=None, width=200)
    with console.capture() as capture:
        console.print(safe(f"before {payload} after"))
    output = capture.get()
    assert "\x1b]" not in output and "\x9b" not in output and "\x9d" not in output
    assert "\x1b[2J" not in output


def test_markup_is_shown_literally():
    text = safe("[/b] [link=https://x]click[/link] [bold red]loud")
    assert isinstance(text, Text)
    assert text.plain == "[/b] [link=https://x]click[/link] [bold red]loud"
    assert not text.spans


def test_newlines_and_tabs_survive_for_display_and_single_line_folds():
    assert safe("a\nb\tc").plain == "a\nb\tc"
    assert "\n" not in safe("a\nb", single_line=True).plain


def test_none_and_numbers():
    assert safe(None).plain == ""
    assert safe(42).plain == "42"


def test_clean_input_reports_what_changed():
    cleaned = clean_input("a\ud800b\x00c\r\nd\x1b[31me\u202ef")
    assert cleaned.text == "a\ufffdb\ufffdc\nd" + "e" + "f"
    assert set(cleaned.changes) == {"invalid characters replaced", "NUL characters replaced",
                                    "control characters removed"}
    assert clean_input("plain words, café — “quotes”").changes == ()
