"""The structure as a printable guide for pairs and trainers (Markdown)."""

from __future__ import annotations

from assistant.structure import Structure


def structure_guide(structure: Structure) -> str:
    """Every section with its purpose, prompts, probes, what to listen for, and the codebook."""
    lines = [f"# {structure.title}", "", structure.description.strip(), "",
             f"*Source: {structure.source}. Structure `{structure.id}` version {structure.version}.*", ""]
    if structure.gate:
        locked = ", ".join(structure.section_by_id[s].title for s in structure.gate.locks)
        needed = ", ".join(structure.section_by_id[s].title for s in structure.gate.requires)
        lines += ["## Keeping hindsight out", "", structure.gate.explanation.strip(), "",
                  f"Locked until {needed} {'is' if len(structure.gate.requires) == 1 else 'are'} captured: "
                  f"{locked}{' and the case chronology' if structure.gate.locks_chronology else ''}.", ""]
    for number, section in enumerate(structure.sections, start=1):
        repeat = " (for each key moment)" if section.mode == "per_episode" else ""
        lines += [f"## {number}. {section.title}{repeat}", "", f"**Purpose.** {section.purpose.strip()}", ""]
        if section.hindsight_reminder:
            lines += [f"> {section.hindsight_reminder}", ""]
        for prompt in section.prompts:
            lines.append(f"- **{prompt.text}**")
            for probe in prompt.probes:
                lines.append(f"  - {probe}")
            for listen in prompt.listen_for:
                lines.append(f"  - *Listen for:* {listen}")
        lines.append("")
    lines += ["## Codebook", ""]
    for group in structure.codebook.groups:
        note = " (for analysis, not used in the room)" if group.analysis_only else ""
        lines += [f"### {group.label}{note}", "", group.description, ""]
        for tag in structure.tags_in_group(group.id):
            level = f" [{tag.level.replace('_', ' ')}]" if tag.level else ""
            lines.append(f"- **{tag.label}**{level}: {tag.description}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
