"""The conversation structure as validated data: located errors for broken files, no drift in the schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.structure import (DEFAULT_STRUCTURE, STRUCTURES_DIR, StructureError, load_structure,
                                 scenario_json_schema, structure_json_schema)

GOOD = DEFAULT_STRUCTURE.read_text(encoding="utf-8")


def test_the_shipped_structure_is_complete(structure):
    ids = [s.id for s in structure.sections]
    assert ids == ["introduction", "overview", "key_moments", "mindset", "influences", "went_well", "queries",
                   "suggested_changes", "closing"]
    assert [s.id for s in structure.sections if s.mode == "per_episode"] == ["mindset", "influences"]
    assert structure.gate.requires == ("overview", "key_moments")
    assert structure.gate.locks == ("queries",)
    assert len(structure.tags_in_group("factor")) == 9
    assert {t.level for t in structure.tags_in_group("factor")} == {"frontline", "local_strategic", "national"}
    assert len(structure.tags_in_group("typology")) == 6
    assert {"words", "observation", "follow_up", "went_well", "suggested_change", "query"} <= set(
        t.id for t in structure.tags_in_group("kind"))
    assert len(structure.tags_in_group("reasoning")) >= 8
    assert structure.section_by_id["went_well"].default_tags == ("went_well",)
    for section in structure.sections:
        assert section.purpose and section.prompts
    assert structure.source.startswith("SCIE Guide 24")


def test_every_file_starts_with_the_schema_line():
    for path in [DEFAULT_STRUCTURE, *sorted((STRUCTURES_DIR / "rehearsals").glob("*.toml"))]:
        assert path.read_text(encoding="utf-8").startswith("#:schema "), path


def test_schema_file_matches_the_models():
    on_disk = json.loads((STRUCTURES_DIR / "structure.schema.json").read_text(encoding="utf-8"))
    assert on_disk == structure_json_schema(), "run: learning-together structure schema > structures/structure.schema.json"


def test_scenario_schema_file_matches_the_models():
    on_disk = json.loads((STRUCTURES_DIR / "rehearsal.schema.json").read_text(encoding="utf-8"))
    assert on_disk == scenario_json_schema(), "run: learning-together structure schema --rehearsal"


def test_content_hash_is_stable_and_sensitive(structure, tmp_path):
    assert load_structure().content_hash == structure.content_hash
    changed = tmp_path / "changed.toml"
    changed.write_text(GOOD.replace("Tell us about the family", "Tell us about the children"), encoding="utf-8")
    assert load_structure(changed).content_hash != structure.content_hash


BROKEN = {
    "misspelt key": (GOOD.replace('title = "Introduction"', 'titel = "Introduction"'),
                     "sections[0] (id 'introduction').titel: unknown key"),
    "wrong type": (GOOD.replace('captures_episodes = true', 'captures_episodes = "yes"'),
                   "sections[2] (id 'key_moments').captures_episodes"),
    "bad mode": (GOOD.replace('mode = "per_episode"', 'mode = "each"', 1), "sections[3] (id 'mindset').mode"),
    "duplicate section": (GOOD.replace('id = "closing"', 'id = "overview"'), "duplicate section id 'overview'"),
    "duplicate prompt": (GOOD.replace('id = "part_played"', 'id = "own_story"'), "duplicate prompt id 'own_story'"),
    "unknown default tag": (GOOD.replace('default_tags = ["went_well"]', 'default_tags = ["went_badly"]'),
                            "default tag 'went_badly' is not in the codebook"),
    "gate names unknown section": (GOOD.replace('locks = ["queries"]', 'locks = ["records"]'),
                                   "gate names unknown section 'records'"),
    "tag in unknown group": (GOOD.replace('group = "kind"\nlabel = "Query"', 'group = "kinds"\nlabel = "Query"'),
                             "names unknown group 'kinds'"),
    "empty prompt text": (GOOD.replace('text = "What part did you play as things developed?"', 'text = ""'),
                          "sections[1] (id 'overview').prompts[1] (id 'part_played').text"),
    "syntax error": (GOOD.replace('title = "Closing"', 'title = "Closing'), "TOML syntax"),
    "bad level": (GOOD.replace('level = "national"', 'level = "global"'), "level"),
    "bad identifier": (GOOD.replace('id = "closing"', 'id = "Closing Section"'), "sections[8]"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_files_give_located_errors(name, tmp_path):
    text, expected = BROKEN[name]
    path = tmp_path / f"{name.replace(' ', '_')}.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StructureError) as caught:
        load_structure(path)
    message = str(caught.value)
    assert str(path) in message
    assert expected in message, message


def test_deep_nesting_is_a_located_error_not_a_crash(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(StructureError) as caught:
        load_structure(path)
    assert "deep" in str(caught.value) or "TOML syntax" in str(caught.value)


def test_invalid_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'id = "x"\ntitle = "caf\xe9"\n')
    with pytest.raises(StructureError, match="line 2: not valid UTF-8"):
        load_structure(path)


def test_huge_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.toml"
    path.write_bytes(b"# " + b"x" * (600 * 1024))
    with pytest.raises(StructureError, match="the limit is"):
        load_structure(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(StructureError, match="no such file"):
        load_structure(tmp_path / "absent.toml")
    with pytest.raises(StructureError, match="is a folder"):
        load_structure(tmp_path)


def test_strict_booleans_refuse_truthy_strings(tmp_path):
    path = tmp_path / "strict.toml"
    path.write_text(GOOD.replace("locks_chronology = true", "locks_chronology = 1"), encoding="utf-8")
    with pytest.raises(StructureError, match="gate.locks_chronology"):
        load_structure(path)


def test_models_are_frozen(structure):
    with pytest.raises(Exception):
        structure.sections[0].title = "changed"  # type: ignore[misc]
