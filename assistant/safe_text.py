"""The one place untrusted text is cleaned: for any output (`visible`) and for storage (`clean_input`).

Text from notes, imported files, file names and error messages may carry terminal escape sequences
(clear screen, window titles, OSC 52 clipboard writes, OSC 8 links), C1 controls, bidi overrides or
Rich markup. In output every one of them becomes a visible placeholder; the terminal app's `assistant.tui.safe`
builds on `visible` so that markup is never parsed either. Nothing here imports the UI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A whole escape sequence (CSI, OSC, DCS/SOS/PM/APC strings, or a two-byte ESC sequence) is shown as
# one placeholder, so its payload never looks like ordinary text either.
_ESCAPE_SEQUENCE = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]?                       # CSI
    | \x9b[0-?]*[ -/]*[@-~]?                       # C1 CSI
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])      # OSC, DCS, SOS, PM, APC (7- or 8-bit)
      [^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?
    | \x1b[ -~]?                                   # any other ESC sequence
    """,
    re.VERBOSE,
)
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_UNSAFE_CHAR = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f" + _BIDI + "\ud800-\udfff\ufff9-\ufffb]"
)
REPLACEMENT = "\ufffd"


def _placeholder(char: str) -> str:
    code = ord(char)
    if code == 0x1B:
        return "␛"
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␀ ␁ …
    if code == 0x7F:
        return "␡"
    return f"<U+{code:04X}>"


def visible(text: str) -> str:
    """Text with every control, escape, bidi override and surrogate replaced by a visible placeholder."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n")

    def sequence(match: re.Match[str]) -> str:
        return "".join(_placeholder(c) if _UNSAFE_CHAR.match(c) else c for c in match.group(0))

    text = _ESCAPE_SEQUENCE.sub(sequence, text)
    return _UNSAFE_CHAR.sub(lambda m: _placeholder(m.group(0)), text)


@dataclass(frozen=True)
class Cleaned:
    """Text ready to store, and a note of what had to change (empty when nothing did)."""

    text: str
    changes: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def clean_input(text: str) -> Cleaned:
    """Make typed, pasted or imported text storable: the rest of it is never lost.

    Lone surrogates (which make SQLite refuse the whole row) and NUL become U+FFFD; CRLF and lone CR
    become LF; escape sequences, other control characters and bidi overrides are removed.
    """
    changes: list[str] = []
    if re.search("[\ud800-\udfff]", text):
        text = re.sub("[\ud800-\udfff]", REPLACEMENT, text)
        changes.append("invalid characters replaced")
    if "\x00" in text:
        text = text.replace("\x00", REPLACEMENT)
        changes.append("NUL characters replaced")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    stripped = _ESCAPE_SEQUENCE.sub("", text)
    stripped = re.sub("[\x01-\x08\x0b-\x1f\x7f-\x9f" + _BIDI + "]", "", stripped)
    if stripped != text:
        changes.append("control characters removed")
        text = stripped
    return Cleaned(text, tuple(changes))


def visible_json(value: object, indent: int | None = None) -> str:
    """JSON for the terminal: the same data, but C1 controls, bidi overrides and other characters a
    terminal could obey are written as \\u escapes (json already escapes C0 controls)."""
    import json

    text = json.dumps(value, indent=indent, ensure_ascii=False)
    return re.sub("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufff9-\ufffb]",
                  lambda m: f"\\u{ord(m.group(0)):04x}", text)
