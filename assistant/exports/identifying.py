"""Text that may identify someone: shown to the lead reviewer before a pack for the case group is written.

Packs name practitioners by role label and the family by pseudonym, but notes are typed up quickly and
a real name or an address can slip into one. Anything that looks like a full name — two or more
capitalised words in a row — is listed, unless it is a known role label, agency, a term of the
structure, the case's own reference or label, or made only of everyday words that are capitalised for
other reasons (months, days, the start of a sentence, "Social Worker", "Family A"). A run ending in a
word such as "Road" or "Hospital", or a named "Centre" or "School", is listed as a possible place, and so
is a single capitalised word after a mid-sentence "in", "at" or "from" ("in Leeds"); there is no
gazetteer. The check errs on the side of listing: the lead reads the list and decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

# Words that are capitalised for reasons other than being someone's name.
_CALENDAR = {
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "Monday",
    "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Easter", "Christmas", "New", "Year",
    "Eid", "Diwali", "Half", "Term", "Bank", "Holiday", "Spring", "Summer", "Autumn", "Winter", "Ramadan",
    "Hanukkah", "Passover", "Halloween", "Bonfire", "Night", "Boxing", "Day", "Eve", "Mother's", "Father's",
}
_SENTENCE = {
    "A", "An", "The", "I", "I'm", "I've", "I'd", "My", "Our", "We", "We'd", "He", "She", "They", "It", "It's", "This",
    "That", "These", "Those", "There", "Then", "When", "While", "After", "Before", "Once", "If", "As", "At", "In",
    "On", "Of", "To", "For", "From", "With", "By", "And", "But", "Or", "So", "No", "Not", "Yes", "Both", "Each",
    "Every", "Some", "Any", "All", "Most", "Her", "His", "Their", "Its", "What", "Why", "How", "Who", "Where",
    "Which", "Later", "Next", "Today", "Yesterday", "Last", "During", "Since", "Until", "Because", "Although",
    "However", "Also", "Even", "Just", "Only", "Still", "Perhaps", "Maybe", "Sometimes", "Often", "Usually",
    "Nothing", "Everything", "Things", "Thanks", "Please", "Well", "Now", "Here", "Again", "Did", "Does", "Do", "Was", "Were", "Is", "Are", "Has", "Had", "Have", "Can", "Could", "Would",
    "Will", "Should", "Did", "Looking", "Nobody", "Everyone", "Someone", "Mr", "Mrs", "Ms", "Miss", "Dr",
}
# Role, agency and safeguarding words: "Social Worker", "Children's Social Care", "Child Protection Conference".
_SAFEGUARDING = {
    "Social", "Worker", "Workers", "Work", "Health", "Visitor", "Visitors", "Officer", "Officers", "Nurse", "Nurses",
    "Manager", "Managers", "Team", "Lead", "Leader", "Designated", "Safeguarding", "Practitioner", "Practice",
    "Children", "Children's", "Child", "Care", "Services", "Service", "Council", "Police", "Probation", "Community",
    "General", "GP", "GPs", "Early", "Help", "Housing", "Maternity", "Midwife", "Midwives", "Mental", "Adult",
    "Adults", "Trust", "Primary", "Secondary", "School", "Schools", "Education", "Paediatric", "Paediatrician",
    "Registrar", "Consultant", "Head", "Teacher", "Headteacher", "Family", "Families", "Mum", "Mother", "Dad",
    "Father", "Baby", "Parent", "Parents", "Carer", "Reviewer", "Review", "Reviewers", "Lead", "Reviewer",
    "Protection", "Conference", "Plan", "Strategy", "Discussion", "Meeting", "Partnership", "Partners",
    "Safeguarding", "Local", "Authority", "Agency", "Agencies", "Multi", "MASH", "Hub", "Front", "Door",
    "Referral", "Assessment", "Unit", "Duty", "Emergency", "Department", "Ward", "Clinic", "Centre", "Center",
    "Group", "Case", "Learning", "Together", "SCIE", "NHS", "PPU", "Public", "Domestic", "Abuse", "Violence",
    "Liaison", "Specialist", "Senior", "Principal", "Assistant", "Deputy", "Director", "First", "Second",
    "Third", "Key", "Episode", "Moment", "Finding", "Findings", "Pack", "Appraisal", "Follow", "Follow-on",
    "Named", "Nursery", "Youth", "Offending", "Substance", "Misuse", "Drug", "Alcohol", "Mental-health",
    "Court", "Crown", "Magistrates", "Magistrates'", "Universal", "Credit", "Benefit", "Benefits", "Citizens",
    "Advice", "Women's", "Aid", "Accident", "Emergency", "Job", "Centre", "Jobcentre", "Plus",
}
_EVERYDAY = _CALENDAR | _SENTENCE | _SAFEGUARDING
# A run ending in one of these is listed as a place rather than a name.
_PLACE_WORDS = {
    "Road", "Street", "Lane", "Avenue", "Close", "Drive", "Way", "Crescent", "Gardens", "Park", "Place", "Square",
    "Terrace", "Hospital", "Estate", "House", "Grove", "Hill", "Green", "Village", "Town", "Academy",
    "Surgery", "Flats", "Tower", "Row", "Mews", "Infirmary",
}
# A run with a name-like word ending in one of these is a named place ("Riverside Children's Centre"), while
# "the Children's Centre" alone names no one.
_INSTITUTIONS = {"Centre", "Center", "School", "Academy", "Nursery", "Clinic", "Surgery", "College", "Library"}
_TITLES = {"Mr", "Mrs", "Ms", "Miss", "Dr", "Mx"}
# A capitalised word: a capital then lower-case letters, apostrophes or hyphens ("O'Neill", "McKay",
# "Smith-Jones"); a lone capital ("Family A") is a pseudonym's letter, not a name.
_WORD = r"[A-Z](?:['’][A-Z])?[a-z]+(?:[A-Z][a-z]+)?(?:['’-][A-Za-z]+)*"
_RUN = re.compile(rf"\b{_WORD}(?:[ \t]+{_WORD})+\b")
# One capitalised word after a lower-case "in", "at" or "from" (so not a sentence's first word): "in Leeds".
_AFTER_PREPOSITION = re.compile(rf"(?<![A-Za-z])(?:in|at|from)[ \t]+({_WORD})(?![\w'’-])(?![ \t]+{_WORD})")


@dataclass(frozen=True)
class Candidate:
    """Words that may identify someone, where they were found, and whether they look like a place."""

    words: str
    where: str
    kind: str  # "name" or "place"


def _masked(text: str, known: list[str]) -> str:
    """The text with every known phrase (longest first) blanked, so "Social Worker 1" is never a name."""
    for phrase in known:
        text = text.replace(phrase, " · ")
    return text


def _name_like(word: str) -> bool:
    return word not in _EVERYDAY and word.rstrip("s'’") not in _EVERYDAY


def candidates_in(text: str, known: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The runs of two or more name-like capitalised words in `text`, each with "name" or "place"."""
    phrases = sorted({k.strip() for k in known if k and len(k.strip()) > 1}, key=len, reverse=True)
    found: list[tuple[str, str]] = []
    masked = _masked(text or "", phrases)
    for match in _RUN.finditer(masked):
        words = match.group(0).split()
        run: list[str] = []
        span: list[str] = []  # the words since the last sentence word, for a named centre or school
        for index, word in enumerate(words):
            before = words[index - 1] if index else ""
            if word in _INSTITUTIONS and any(_name_like(w) for w in span):
                if len(run) >= 2 and run != span[-len(run):]:
                    found.append((" ".join(run), "name"))
                found.append((" ".join([*span, word]), "place"))
                run, span = [], []
                continue
            span = [] if word in _SENTENCE else [*span, word]
            if word in _PLACE_WORDS and before and before not in _SENTENCE:
                found.append((" ".join(run if before in run else [*run, before]) + f" {word}", "place"))
                run = []
            elif before in _TITLES:  # "Mrs Green": a title and a surname is a name
                found.append((f"{before} {word}", "name"))
                run = []
            elif _name_like(word):
                run.append(word)
                continue
            if len(run) >= 2:
                found.append((" ".join(run), "name"))
            run = []
        if len(run) >= 2:
            found.append((" ".join(run), "name"))
    listed = " ".join(words for words, _ in found)
    for match in _AFTER_PREPOSITION.finditer(masked):
        word = match.group(1)
        if _name_like(word) and word not in listed.split():
            found.append((word, "place"))
    return found


def identifying_text(texts: Iterable[tuple[str, str]], known: Iterable[str] = ()) -> list[Candidate]:
    """Each distinct run of words that may identify someone in `texts` ((where, text) pairs), first
    place found first; `known` are phrases the pack may carry (role labels, agencies, the case label)."""
    known = list(known)
    seen: dict[str, Candidate] = {}
    for where, text in texts:
        for words, kind in candidates_in(text, known):
            seen.setdefault(words, Candidate(words, where, kind))
    return list(seen.values())
