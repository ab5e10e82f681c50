"""Cases and the chronology import: all rows or none, errors name the line."""

from __future__ import annotations

import pytest

from assistant.cases import CaseError, add_case, chronology, import_chronology, list_cases

GOOD = "date,agency,summary,source\n2024-03-01,Probation,Concern form faxed,Case note 14\n2024-03-20,Health,Missed clinic,EPR\n"


def write(tmp_path, data: bytes | str, name="chronology.csv"):
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_add_and_list(store):
    add_case(store, "CSPR-2026-04", "Family A")
    assert [c["reference"] for c in list_cases(store)] == ["CSPR-2026-04"]
    with pytest.raises(CaseError, match="already exists"):
        add_case(store, "CSPR-2026-04", "Family B")
    with pytest.raises(CaseError, match="reference"):
        add_case(store, "", "Family B")


def test_import_good_file_with_bom(store, case_id, tmp_path):
    count = import_chronology(store, "CSPR-2026-04", write(tmp_path, b"\xef\xbb\xbf" + GOOD.encode()))
    assert count == 2
    assert [e["agency"] for e in chronology(store, case_id)] == ["Probation", "Health"]


@pytest.mark.parametrize("data,expected", [
    (b"date,agency,summary,source\n2024,Police,caf\xe9,x\n", "line 2 is not UTF-8"),
    ("date,agency,summary,source\n2024,Police,ok,x\n2024,Police\n", "line 3 has 2 fields"),
    ("when,who,what\n2024,Police,x\n", "line 1 should name the columns"),
    ("date,agency,summary,source\n2024,Police,\"" + "x" * 30_000 + "\",x\n", "line 2 has a field over"),
    ("date,agency,summary,source\n2024,Police,\"unterminated\n", "is not valid CSV"),
    ("", "is empty"),
    ("date,agency,summary,source\n", "no entries"),
    ("date,agency,summary,source\n,Police,,x\n", "line 2 needs at least a date and a summary"),
])
def test_bad_files_change_nothing(store, case_id, tmp_path, data, expected):
    import_chronology(store, "CSPR-2026-04", write(tmp_path, GOOD, "first.csv"))
    with pytest.raises(CaseError, match=expected):
        import_chronology(store, "CSPR-2026-04", write(tmp_path, data))
    assert len(chronology(store, case_id)) == 2


def test_escape_sequences_in_cells_are_removed(store, case_id, tmp_path):
    import_chronology(store, "CSPR-2026-04", write(tmp_path, "date,agency,summary,source\n2024,Pol\x1b]0;x\x07ice,ok,x\n"))
    assert chronology(store, case_id)[0]["agency"] == "Police"


def test_unknown_case(store, tmp_path):
    with pytest.raises(CaseError, match="no case with reference"):
        import_chronology(store, "NOPE", write(tmp_path, GOOD))
