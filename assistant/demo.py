"""Synthetic, clearly marked demonstration data: fictional cases for trainers, screenshots and benchmarks.

Deterministic for a seed (the same seed gives the same rows and ids; another seed gives other ids).
Every case reference starts with DEMO- and every label says "(synthetic)". Role labels only.

With `add_demo_review`, a whole synthetic review is added on top of the first case: the work after the
conversations, done as a lead reviewer would do it. The practitioners' moments of the same name become
the case's key practice episodes, placed in the story by date, appraised and explained (given what was
known at the time: no hindsight wording), with their contributory factors; findings with every SCIE field,
an underlying-pattern category and a priority; the review's questions, some answered by findings; a first
and a second follow-on meeting with who came, who was consulted afterwards, and challenges with the team's
responses (one not accepted, with its reason); and a first draft of the report. Each step goes through the
core functions the lead uses, so it is audited like real work; the words are the same for a seed, the new
ids are random. A case that already has review work is left alone.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from assistant.cases import find_case
from assistant.meetings import add_challenge, add_meeting, add_person, mark_told, respond
from assistant.report import draft_report, set_priorities, set_review_dates
from assistant.review import add_finding, case_moments, create_case_episode
from assistant.review_questions import add_question, link_finding
from assistant.store import Store, StoreError, checksum
from assistant.story import edit_card, episode_card, link_explanation_note, place_episode, set_factors
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


# ------------------------------------------------------------------ a whole synthetic review

ACTOR = "demo"
# Each moment the demo conversations can name: its date in the story, and its card (what happened, the
# adequacy, the appraisal given what was known then, why it made sense, and factors if the notes have none).
CARDS: dict[str, tuple[str, str, str, str, str, str]] = {
    MOMENTS[0][0]: ("2025-03-10", "good", "A visit within two days of the referral; the children were seen.",
                    "Prompt and thorough for what the referral said at the time.",
                    "The referral described tiredness and housing worries, and the visit answered both.",
                    "factor_role"),
    MOMENTS[1][0]: ("2025-04-14", "mixed", "A concern form went by fax and no one confirmed it had arrived.",
                    "Sending it the same day was sound; with no reply, the concern rested with no one.",
                    "Fax was the agreed route and replies usually came within the week.", "factor_conditions"),
    MOMENTS[2][0]: ("2025-05-06", "mixed", "Agencies met and agreed a plan without naming who would lead it.",
                    "The plan fitted what was known; that no one owned it was not visible in the room.",
                    "Each agency had reason to think another was leading, from its own part of the work.",
                    "factor_interagency"),
    MOMENTS[3][0]: ("2025-07-21", "adequate", "Social care closed the case after a period of calm.",
                    "Closing was within the guidance at the time, given the improvement all agencies saw.",
                    "The family had engaged well for two months and caseloads were high.", "factor_organisation"),
    MOMENTS[4][0]: ("2025-08-28", "good", "Mum told the health visitor about abuse at home; a referral followed.",
                    "Careful and timely: the disclosure was heard and passed on the same day.",
                    "The trust built over earlier visits made it possible for Mum to speak.", "factor_family"),
    MOMENTS[5][0]: ("2025-10-02", "mixed", "The family moved to temporary housing in another area.",
                    "Each agency kept in touch in its own way; the transfer of records was slow.",
                    "Records followed the usual route, which took weeks across the boundary.", "factor_interagency"),
    MOMENTS[6][0]: ("2025-10-30", "not_adequate", "The baby was not brought to two clinic appointments.",
                    "Both appointments were recorded in the clinic but not shared with the other agencies.",
                    "Appointments not kept were common in the clinic and seen as a practical matter.",
                    "factor_organisation"),
    MOMENTS[7][0]: ("2025-11-18", "adequate", "A child protection conference made a plan with the family.",
                    "The plan drew on each agency's information and the family's own view.",
                    "The conference had the reports it needed, though some arrived on the day.", "factor_team"),
    MOMENTS[8][0]: ("2025-12-15", "good", "Mum asked for help with the older child's behaviour.",
                    "The request was taken seriously and early help offered within a week.",
                    "The early help worker had capacity and knew the family already.", "factor_role"),
    MOMENTS[9][0]: ("2026-01-12", "mixed", "The school rang about bruising on the younger child.",
                    "The call was made promptly; the response waited on a call back across agencies.",
                    "The school's lead was teaching and the message passed through two people.",
                    "factor_conditions"),
}
FINDINGS = [
    ("pattern_crisis", "Plans made at strategy discussions do not always name who leads them.",
     "At the strategy discussion each agency left believing another would lead.",
     "Two other local reviews and a partnership audit describe the same gap.",
     "Found in three of the five partnership areas that took part in the audit.",
     "Work that no one owns can stall without anyone noticing.",
     "How will the lead agency be recorded and checked after each strategy discussion?"),
    ("pattern_tools", "Concern forms sent by fax are not confirmed as received.",
     "A form went by fax; no one confirmed it arrived, and the concern rested with no one.",
     "The fax route is still the agreed route in the local procedures.",
     "All agencies that send concerns to the front door use the same route.",
     "A concern that is not received is not acted on.",
     "What would a confirmed route for concerns look like, and who would own it?"),
    ("pattern_management", "Health appointments a child is not brought to are recorded but not shared between agencies.",
     "Two clinic appointments the baby was not brought to stayed within the clinic's own records.",
     "Practitioners in the case group described the same with other families.",
     "The clinic sees many families; appointments not kept are frequent.",
     "A child not brought to appointments can be an early sign that a family is struggling.",
     "When should a baby not being brought to an appointment be shared, and with whom?"),
]
FINDING_MOMENTS = [(MOMENTS[2][0], MOMENTS[3][0]), (MOMENTS[1][0], MOMENTS[9][0]), (MOMENTS[6][0], MOMENTS[5][0])]
QUESTIONS = ["How did agencies agree who was leading the work with the family?",
             "How were concerns passed between agencies, and how was receipt known?",
             "What helped the family to speak about what was happening at home?"]
# What the case group said about an episode ({title} is the episode's) or a finding, and the team's response.
FIRST_CHALLENGES = [
    ("episode", 0, "correction", "In “{title}” the order of two contacts is the other way round: the visit came first.",
     "accepted", ""),
    ("episode", 1, "perspective", "From the health side, “{title}” felt like joint work, not led by one agency.",
     "not-accepted", "Both accounts are already set side by side in the story; the card keeps them both."),
    ("episode", 2, "new-information", "A second contact about “{title}” was made a week later; it is in the "
     "practice log.", "to-check", ""),
]
SECOND_CHALLENGES = [
    ("finding", 0, "suggested-change", "Say that the lead can change, and that the change is recorded too.",
     "partly", "The wording now says the lead is recorded; changes are a question for the partners."),
    ("finding", 2, "disputes-appraisal", "Sharing every appointment not kept would swamp the front door.",
     "accepted", "The finding now asks when, not whether, to share."),
]


class DemoReviewError(StoreError):
    """The synthetic review cannot be added; nothing was changed."""


def _episodes(store: Store, structure: Structure, case_id: str) -> list[str]:
    """One case episode for each moment title the practitioners named, placed and appraised."""
    by_title: dict[str, list[str]] = {}
    for moment in case_moments(store, case_id):
        by_title.setdefault(moment["title"], []).append(moment["id"])
    titles = sorted((t for t in by_title if t in CARDS), key=lambda t: CARDS[t][0])
    episodes = []
    for title in titles:
        when, adequacy, happened, appraisal, explanation, factor = CARDS[title]
        episode = create_case_episode(store, case_id, title, by_title[title], actor=ACTOR)
        place_episode(store, episode, on=when, actor=ACTOR)
        differ = ("Accounts differ on who was expected to act next." if len(by_title[title]) > 1 else "")
        edit_card(store, episode, what_happened=happened, adequacy=adequacy, appraisal=appraisal,
                  explanation=explanation, accounts_differ=differ, actor=ACTOR)
        note = store.one("SELECT id FROM notes WHERE episode_id = ? AND deleted_at IS NULL ORDER BY rowid LIMIT 1",
                         (by_title[title][0],))
        if note:
            link_explanation_note(store, episode, note["id"], actor=ACTOR)
        if not episode_card(store, structure, episode)["factors"]:
            set_factors(store, structure, episode, [factor], reason="From the conversations", actor=ACTOR)
        episodes.append(episode)
    return episodes


def _findings(store: Store, structure: Structure, case_id: str, episodes: list[str], rng: random.Random) -> list[str]:
    titles = {r["title"]: r["id"] for r in store.query("SELECT id, title FROM case_episodes WHERE case_id = ?",
                                                        (case_id,))}
    made = []
    for number, (tag, statement, shown, not_one_off, widespread, matters, asks) in enumerate(FINDINGS):
        # The moments each finding is about, where the practitioners named them; else the first in the story.
        rests_on = [titles[t] for t in FINDING_MOMENTS[number] if t in titles] or episodes[:2]
        notes = [r["id"] for r in store.query(
            f"SELECT n.id FROM notes n JOIN case_episode_links l ON l.episode_id = n.episode_id WHERE"
            f" l.case_episode_id IN ({', '.join('?' * len(rests_on))}) AND n.deleted_at IS NULL ORDER BY n.rowid",
            rests_on)]
        made.append(add_finding(store, structure, case_id, tag, statement=statement, in_this_case=shown,
                                systemic_evidence=not_one_off, how_widespread=widespread,
                                why_it_matters=matters,
                                questions=asks, case_episode_ids=sorted(set(rests_on)),
                                note_ids=sorted(rng.sample(notes, min(3, len(notes)))), actor=ACTOR))
    set_priorities(store, case_id, [made[0], made[2], made[1]], actor=ACTOR)
    return made


def _meeting(store: Store, structure: Structure, case: dict[str, Any], kind: str, on: str,
             roles: list[tuple[str, str]], absent: tuple[str, str] | None, challenges: list[tuple],
             targets: dict[str, list[str]]) -> int:
    from assistant.exports.meeting_pack import build_meeting_pack  # only a review needs the packs

    pack = build_meeting_pack(store, structure, case["reference"], kind)
    meeting = add_meeting(store, case["id"], kind, on, facilitators="Lead reviewer; Reviewer B",
                          pack_version=pack.version, actor=ACTOR)
    for role, agency in roles:
        add_person(store, meeting, role, agency, actor=ACTOR)
    if absent:
        add_person(store, meeting, absent[0], absent[1], attended=False,
                   consult_how="A call with the lead reviewer the following week", actor=ACTOR)
    for about, index, kind_, text, outcome, reason in challenges:
        ids = targets[about]
        raised_by = roles[index % len(roles)][0]
        target = ids[index % len(ids)]
        title = store.one("SELECT title FROM case_episodes WHERE id = ?", (target,)) if about == "episode" else None
        challenge = add_challenge(store, meeting, f"{about}:{target}", raised_by, kind_,
                                  text.format(title=title["title"]) if title else text, actor=ACTOR)
        respond(store, challenge, outcome, reason=reason, decided_by="Lead reviewer", actor=ACTOR)
        if outcome != "to-check":
            mark_told(store, challenge, actor=ACTOR)
    return len(challenges)


def add_demo_review(store: Store, structure: Structure, seed: int = 1) -> dict[str, Any] | None:
    """Add the synthetic review to demo case DEMO-<seed>-001; returns what was added, or None when the
    case already has review work (nothing is added twice)."""
    reference = f"DEMO-{seed}-001"
    case = find_case(store, reference)
    if case is None or case.get("source") != "demo":
        raise DemoReviewError(f"There is no demonstration case {reference}; run `demo --seed {seed}` first.")
    for table in ("case_episodes", "findings", "meetings", "review_questions"):
        if store.one(f"SELECT 1 AS one FROM {table} WHERE case_id = ? LIMIT 1", (case["id"],)):
            return None
    if len({m["title"] for m in case_moments(store, case["id"]) if m["title"] in CARDS}) < 2:
        raise DemoReviewError("The demonstration case has too few key moments for a review; "
                              "use --conversations 2 or more.")
    rng = random.Random(seed)
    set_review_dates(store, case["id"], started="2026-02-02", window_from="2025-03-01", window_to="2026-01-31",
                     actor=ACTOR)
    episodes = _episodes(store, structure, case["id"])
    questions = [add_question(store, case["id"], q, actor=ACTOR) for q in QUESTIONS]
    findings = _findings(store, structure, case["id"], episodes, rng)
    link_finding(store, findings[0], questions[0], actor=ACTOR)  # the third question is left open
    link_finding(store, findings[1], questions[1], actor=ACTOR)
    roles = [(r["practitioner_role"], r["agency"]) for r in store.query(
        "SELECT DISTINCT practitioner_role, agency FROM conversations WHERE case_id = ? AND mode = 'live'"
        " ORDER BY practitioner_role", (case["id"],))]
    targets = {"episode": episodes, "finding": findings}
    managers = [("Practice Team Manager", "Children's Social Care"), ("Health Visiting Team Leader",
                                                                     "Community Health")]
    challenges = _meeting(store, structure, case, "first", "2026-03-16", roles[1:] + managers, roles[0],
                          FIRST_CHALLENGES, targets)
    challenges += _meeting(store, structure, case, "second", "2026-04-20", roles + managers[:1], None,
                           SECOND_CHALLENGES, targets)
    version = draft_report(store, structure, case["id"], actor=ACTOR)
    return {"reference": reference, "episodes": len(episodes), "findings": len(findings),
            "questions": len(questions), "meetings": 2, "challenges": challenges, "report_version": version}
