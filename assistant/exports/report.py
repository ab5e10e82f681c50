"""The report, exported as Markdown or Word: one kept version, its sections in order as drafted, with the
version's number and hash, whether it was signed off, and the challenge log as an appendix."""

from __future__ import annotations

from pathlib import Path

from assistant.exports.document import Document, to_docx, to_markdown
from assistant.exports.files import ExportRefused, publish
from assistant.exports.identifying import Candidate
from assistant.exports.meeting_pack import identifying_in, known_words
from assistant.meetings import challenge_log
from assistant.report import OUTCOME_WORDS, SECTION_TITLES, ReportError, report_version, report_versions
from assistant.store import Store
from assistant.structure import Structure

REPORT_FORMATS = ("md", "docx")
# The challenge log in the words the Meetings tab uses, not the stored codes.
MEETING_WORDS = {"first": "First follow-on meeting", "second": "Second follow-on meeting",
                 "accuracy": "Accuracy check"}
KIND_WORDS = {"correction": "factual correction", "perspective": "a different perspective",
              "disputes-appraisal": "disputes the appraisal", "new-information": "new information",
              "suggested-change": "suggested change"}


def _about(store: Store, challenge: dict) -> str:
    """What a challenge is about, by the episode's or finding's title or the section's, never its id."""
    kind, target = challenge["about_kind"], challenge["about_id"]
    if kind == "section":
        return f"Section: {SECTION_TITLES.get(target, target)}"
    if kind == "episode":
        row = store.one("SELECT title FROM case_episodes WHERE id = ?", (target,))
        return f"Episode: {row['title']}" if row else "An episode since removed"
    row = store.one("SELECT * FROM findings WHERE id = ?", (target,))
    return f"Finding: {row['statement']}" if row else "A finding since removed"


def build_report(store: Store, case: dict, number: int | None = None) -> Document:
    """The document for one version of the report (the newest without `number`)."""
    version = report_version(store, case["id"], number)
    signed = next(v["signed_by"] for v in report_versions(store, case["id"]) if v["number"] == version["number"])
    doc = Document(title=f"Case review report {case['reference']}, version {version['number']}",
                   reference=case["reference"])
    doc.heading(f"Case review report: {case['reference']}", 1)
    state = f"signed off by {', '.join(signed)}" if signed else "a draft, not signed off"
    doc.paragraph(f"Version {version['number']} ({state}); sha256 {version['sha256']}.", italic=True)
    for number_, section in enumerate(version["sections"], start=1):
        doc.heading(f"{number_}. {section['title']}", 2)
        for block in section["blocks"]:
            if block[0] == "heading":
                doc.heading(block[2], block[1])
            elif block[0] == "bullet":
                doc.bullet(block[2], block[1])
            else:
                doc.paragraph(block[1])
    log = challenge_log(store, case["id"])
    if log:
        doc.heading("Appendix: the challenge log", 2)
        doc.table(["Meeting", "About", "Raised by", "Kind", "Text", "Response", "Reason", "Decided by", "Told"],
                  [[f"{MEETING_WORDS.get(c['meeting_kind'], c['meeting_kind'])} {c['meeting_date']}",
                    _about(store, c), c["raised_by"], KIND_WORDS.get(c["kind"], c["kind"]), c["text"],
                    OUTCOME_WORDS.get(c["outcome"], c["outcome"]), c["reason"], c["decided_by"],
                    "yes" if c["raiser_told"] else "no"] for c in log])
    return doc


def report_identifying(store: Store, case: dict, number: int | None = None,
                       structure: Structure | None = None) -> list[Candidate]:
    """The text in a version of the report that may identify someone, as the meeting packs check theirs."""
    document = build_report(store, case, number)
    return identifying_in(document.blocks, document.title, known_words(store, structure, case))


def export_report(store: Store, case: dict, fmt: str, out: Path, number: int | None = None,
                  force: bool = False, actor: str = "lead reviewer", *, accept_names: bool = False,
                  structure: Structure | None = None) -> Path:
    """Write one version of the report as Markdown or Word with its audit event, or nothing at all. A
    version with text that may identify someone is written only when the lead has accepted the list."""
    if fmt not in REPORT_FORMATS:
        raise ReportError("The report is exported as md or docx.")
    document = build_report(store, case, number)
    found = identifying_in(document.blocks, document.title, known_words(store, structure, case))
    if found and not accept_names:
        one = len(found) == 1
        raise ExportRefused(f"The report was not written: {len(found)} possible "
                            f"{'name or place is' if one else 'names or places are'} listed; correct them, "
                            "or add --accept-names to write it as it is.")
    data: bytes | str = to_docx(document) if fmt == "docx" else to_markdown(document)
    version = report_version(store, case["id"], number)

    def record_event() -> None:
        store.event("export", "report_version", version["id"],
                    {"format": fmt, "number": version["number"], "sha256": version["sha256"],
                     "names_listed": len(found), "names_accepted": bool(found)}, actor)

    return publish(store, [(Path(out), data)], record_event, force)[0]
