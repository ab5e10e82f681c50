"""A scenario on paper: what the trainee reads first, and the brief for a colleague playing the practitioner."""

from __future__ import annotations

from assistant.rehearsal.practitioner import TRUST_CHANGE, TRUST_LABELS, TRUST_START
from assistant.scenario import Scenario
from assistant.structure import Structure
from assistant.words import counted


def trainee_view(scenario: Scenario) -> str:
    who = scenario.practitioner
    return (f"# {scenario.title}\n\nREHEARSAL: a fictional practitioner.\n\n{scenario.summary.strip()}\n\n"
            f"**{who.role}, {who.agency}:** {who.story.strip()}\n")


def role_player_brief(scenario: Scenario, structure: Structure) -> str:
    """Everything a colleague needs to play the practitioner, in the order they will need it."""
    who, sections = scenario.practitioner, structure.section_by_id
    out = [f"# Role-player's brief: {scenario.title}", "",
           "REHEARSAL: a fictional practitioner. Not a real case, family or person. Keep this brief from the trainee.",
           "", f"You are the **{who.role}** ({who.agency}).", "", who.story.strip(), "",
           "## The pattern underneath", "", scenario.brief.pattern.strip(), "",
           "## How to play them", "", scenario.brief.playing.strip(), "",
           "## Trust", "",
           f"Start at {TRUST_START} of 4 ({TRUST_LABELS[TRUST_START]}). "
           + "Each question moves it: " + ", ".join(f"{kind} {change:+d}" for kind, change in TRUST_CHANGE.items())
           + ". "
           "At 0 answer guardedly, at 1 briefly, from 2 fully. Meet blame with the guarded answer.", "",
           "## The key moments as you see them", ""]
    for moment in scenario.moments:
        out += [f"- **{moment.title}** ({moment.approximate_time}). {moment.mindset} *Influences:* {moment.influences}"]
    out += ["", "## What you hold back until asked", "",
            "Share each only to a question of the kind named that touches one of its topics.", ""]
    for fact in scenario.facts:
        trust = f", once trust is {fact.needs_trust} or more" if fact.needs_trust else ""
        section = sections[fact.section].title if fact.section in sections else fact.section
        out.append(f"- {fact.text} *({section}; {', '.join(fact.kinds)} questions about "
                   f"{', '.join(repr(t) for t in fact.topics)}{trust}.)*")
        if fact.brief:
            out.append(f"  To a closed question on it: \u201c{fact.brief}\u201d")
    if scenario.raises:
        out += ["", "## What you bring up yourself", ""]
        out += [f"- In {sections[r.section].title if r.section in sections else r.section}, after "
                f"{counted(r.after, 'question')}, if trust is {r.needs_trust} or more: \u201c{r.text}\u201d" for r in scenario.raises]
    if scenario.unknowns:
        out += ["", "## What you could not have known then", ""]
        out += [f"- Asked about {', '.join(repr(t) for t in u.topics)}: \u201c{u.text}\u201d" for u in scenario.unknowns]
    out += ["", "## What you say, section by section", ""]
    for answer in scenario.answers:
        title = sections[answer.section].title if answer.section in sections else answer.section
        out += [f"### {title}", "", f"- Open: {answer.open}", *[f"- Then: {more}" for more in answer.more],
                f"- Closed: {answer.closed}", f"- Guarded: {answer.guarded}", ""]
    return "\n".join(out).rstrip() + "\n"
