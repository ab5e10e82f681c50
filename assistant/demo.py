"""Synthetic, clearly marked demonstration data: fictional cases for trainers, screenshots and benchmarks.

Deterministic for a seed (the same seed gives the same rows and ids; another seed gives other ids).
Every case reference starts with DEMO- and every label says "(synthetic)". Role labels only.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

from assistant.store import Store, checksum
from assistant.structure import Structure

PRACTITIONERS = [
    ("Social Worker 1", "Children's Social Care"),
    ("Health Visitor", "Community Health"),
    ("Probation Officer", "Probation Service"),
    ("School Nurse", "Community Health"),
    ("GP", "General Practice"),
    ("Police Officer (PPU)", "Police"),
    ("Practice Team Manager", "Children's Social Care"),
    ("Midwife", "Maternity Services"),
    ("Housing Officer", "Housing"),
    ("Early Help Worker", "Early Help"),
    ("Designated Safeguarding Lead", "Primary School"),
    ("Adult Mental Health Nurse", "Mental Health Trust"),
]
MOMENTS = [
    ("The first home visit after the referral", "early spring"),
    ("Sending the concern form by fax", "around Easter"),
    ("The strategy discussion", "a few weeks later"),
    ("Deciding to close the case to social care", "summer"),
    ("The disclosure of domestic abuse", "late summer"),
    ("The family's move to temporary housing", "autumn"),
    ("Missed clinic appointments for the baby", "autumn, over about two months"),
    ("The child protection conference", "November"),
    ("Mum asking for help with the older child's behaviour", "before Christmas"),
    ("A call from the school about bruising", "January"),
]
PHRASES = {
    "overview": [
        "I first met the family when the referral came through from the school.",
        "Mum was warm and engaged at the start and the children seemed well cared for.",
        "My role was mainly around the baby's development checks and feeding.",
        "There were lots of agencies involved and I wasn't always sure who was leading.",
        "Things seemed to settle once the family moved, so the focus shifted.",
    ],
    "key_moments": [
        "The practitioner picked this out straight away as the point things changed.",
        "Named as important: it felt like a decision point at the time.",
        "Said this went well and wanted it recorded.",
    ],
    "mindset": [
        "At the time I thought the main risk was the housing situation, not the baby.",
        "I was worried about Mum's mental health but she said she had support.",
        "I had twenty-eight cases then and this one seemed stable compared with others.",
        "I thought the fax had gone through and that social care would pick it up.",
        "It felt like the right thing was to keep the family engaged rather than push.",
    ],
    "influences": [
        "We had no admin support that year and the system made it hard to see the history.",
        "Supervision was monthly and mostly about deadlines rather than thinking.",
        "I didn't know what probation's role was with the family, honestly.",
        "The referral form asked for categories that didn't fit what I was seeing.",
        "Mum was very convincing and I think I wanted things to be going well.",
    ],
    "went_well": [
        "The joint visit with the health visitor worked really well.",
        "The school kept in touch every week and that made a real difference.",
        "My manager made time to talk it through the same day.",
    ],
    "queries": [
        "Records show two missed appointments; the practitioner had not been told of them.",
        "Another account describes the strategy discussion differently: kept as a different view.",
    ],
    "suggested_changes": [
        "Always phone after sending a form, and keep going until someone answers.",
        "A shared contact list for each agency's safeguarding lead would help.",
        "Supervision that leaves room to think about the family, not just the tasks.",
    ],
    "closing": [
        "Summary read back; the practitioner corrected the order of two visits.",
        "Told the typed-up notes would come back within two weeks for checking.",
    ],
    "introduction": ["Introductions done; the practitioner said they were nervous about blame."],
}
KIND_TAGS = ["words", "observation", "follow_up"]
SIGNATURE = "Synthetic demonstration data: fictional, not about any real family or practitioner."


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def generate_demo(store: Store, structure: Structure, *, cases: int, conversations: int, notes: int,
                  seed: int = 1) -> dict[str, int]:
    """Add synthetic cases; returns counts of what was added."""
    rng = random.Random(seed)
    base = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc) + timedelta(days=seed % 97)
    factor_tags = [t.id for t in structure.tags_in_group("factor")]
    totals = {"cases": 0, "conversations": 0, "notes": 0, "episodes": 0}
    existing = {r["reference"] for r in store.query("SELECT reference FROM cases WHERE reference LIKE 'DEMO-%'")}
    for case_number in range(cases):
        reference = f"DEMO-{seed}-{case_number + 1:03d}"
        if reference in existing:
            continue
        clock = base + timedelta(days=case_number)

        def stamp(minutes: float) -> str:
            return (clock + timedelta(minutes=minutes)).isoformat(timespec="milliseconds")

        case_id = _uuid(rng)
        rows: dict[str, list[tuple]] = {k: [] for k in ("conv", "ep", "note", "tag", "visit")}
        for v in range(conversations):
            role, agency = PRACTITIONERS[(case_number + v) % len(PRACTITIONERS)]
            conversation_id = _uuid(rng)
            start = v * 120.0
            episodes = []
            for position, (title, when) in enumerate(rng.sample(MOMENTS, rng.randint(2, 4))):
                episode_id = _uuid(rng)
                episodes.append(episode_id)
                rows["ep"].append((episode_id, conversation_id, title, when, position, stamp(start), stamp(start)))
            stops = []
            for section in structure.sections:
                if section.mode == "per_episode":
                    stops += [(section, e) for e in episodes]
                elif not (section.id == "queries" and rng.random() < 0.3):  # some never reach the queries
                    stops.append((section, None))
            for i, (section, episode_id) in enumerate(stops):
                rows["visit"].append((_uuid(rng), conversation_id, section.id, episode_id,
                                      stamp(start + i * 4), stamp(start + i * 4 + 3.5)))
            for n in range(notes):
                section, episode_id = stops[n % len(stops)] if n < len(stops) else rng.choice(stops)
                prompt = rng.choice(section.prompts)
                body = rng.choice(PHRASES.get(section.id, PHRASES["overview"]))
                note_id = _uuid(rng)
                when = stamp(start + n * 0.5)
                rows["note"].append((note_id, conversation_id, section.id, prompt.id, episode_id,
                                     rng.choice(("lead", "second", "second")), body, checksum(body), when, when))
                tags = set(section.default_tags) | {rng.choice(KIND_TAGS)}
                if section.requires_tag_group == "factor" or rng.random() < 0.1:
                    tags.add(rng.choice(factor_tags))
                rows["tag"] += [(note_id, t) for t in sorted(tags)]
            rows["conv"].append((
                conversation_id, case_id, role, agency, "Reviewer A", "Reviewer B", structure.id,
                structure.version, structure.content_hash, rng.choice(("ended", "ended", "checked", "in_progress")),
                structure.sections[-1].id, stamp(start), stamp(start + 90),
            ))
        with store.write() as conn:
            conn.execute(
                "INSERT INTO cases (id, reference, label, created_at, source) VALUES (?, ?, ?, ?, 'demo')",
                (case_id, reference, f"Family {chr(65 + case_number % 26)}{case_number // 26 or ''} (synthetic)",
                 stamp(0)),
            )
            conn.executemany(
                "INSERT INTO conversations (id, case_id, practitioner_role, agency, lead_interviewer,"
                " second_interviewer, mode, structure_id, structure_version, structure_hash, status,"
                " records_seen_before, recording_consent, position_section, created_at, updated_at, source)"
                " VALUES (?, ?, ?, ?, ?, ?, 'live', ?, ?, ?, ?, 0, 'not_recorded', ?, ?, ?, 'demo')",
                rows["conv"],
            )
            conn.executemany(
                "INSERT INTO episodes (id, conversation_id, title, approximate_time, position, created_at,"
                " updated_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, 'demo')", rows["ep"])
            conn.executemany(
                "INSERT INTO notes (id, conversation_id, section_id, prompt_id, episode_id, author_role, body,"
                " checksum, created_at, updated_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'demo')",
                rows["note"])
            conn.executemany("INSERT INTO note_tags (note_id, tag_id) VALUES (?, ?)", rows["tag"])
            conn.executemany(
                "INSERT INTO section_visits (id, conversation_id, section_id, episode_id, entered_at, left_at)"
                " VALUES (?, ?, ?, ?, ?, ?)", rows["visit"])
            store.event("demo", "case", case_id,
                        {"reference": reference, "conversations": conversations, "notes": len(rows["note"]),
                         "seed": seed, "note": SIGNATURE}, "demo")
        totals["cases"] += 1
        totals["conversations"] += len(rows["conv"])
        totals["notes"] += len(rows["note"])
        totals["episodes"] += len(rows["ep"])
    return totals
