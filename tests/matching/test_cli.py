"""The `match` command end to end: files in, GROUPS.csv and JSON out, clean errors."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from twoway.matching.cli import main

PEOPLE = """id,name,level,hire_date,department,team,manager_id,location,timezone,availability,\
meeting_preference,offers,seeks,goals,past_partners,blocked,requested,capacity,role
ana,Ana,4,2020-03-01,Sales,s1,,Berlin,Europe/Berlin,mon 09:00-12:00,either,\
client relationships:3,sql:2,grow as a leader,,,,1,peer
ben,Ben,5,2019-06-01,Engineering,e1,,Berlin,Europe/Berlin,mon 10:00-13:00,video,\
sql:3,client relationships:2,public speaking,,,,1,peer
cy,Cy,4,2021-01-01,Engineering,e1,ben,Lisbon,Europe/Lisbon,tue 09:00-10:00,either,\
python:2,sql:1,,,,,1,peer
dee,Dee,5,2015-01-01,Finance,f1,,Lisbon,Europe/Lisbon,,in_person,excel:3,python:2,,,,,1,peer
"""


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text)
    return path


def read_groups(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_it_matches_a_people_csv_and_prints_clean_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = write(tmp_path, "people.csv", PEOPLE)
    out = tmp_path / "groups.csv"
    assert main([str(people), "--mode", "peer", "--out", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)  # stdout holds exactly one JSON object
    for key in ("total_weight", "upper_bound", "groups", "unmatched", "seconds"):
        assert key in data
    assert data["upper_bound"] >= data["pair_weight"]
    rows = read_groups(out)
    assert sorted(r["member"] for r in rows) == ["ana", "ben", "cy", "dee"]
    assert {r["group"] for r in rows} == {"1", "2"}
    members = {g["group"]: set(g["members"]) for g in data["groups"]}
    assert {"ben", "cy"} not in members.values()  # Ben manages Cy


def test_it_explains_groups_in_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = write(tmp_path, "people.csv", PEOPLE)
    assert main([str(people), "--out", str(tmp_path / "g.csv"), "--explain"]) == 0
    text = capsys.readouterr().out
    assert "upper bound" in text and "gap" in text
    assert "Ana can help Ben with client relationships; Ben can help Ana with sql" in text


def test_it_reads_json_people(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    items = [
        {"id": "a", "offers": {"sql": 3}, "seeks": ["python:2"][0], "level": 3},
        {"id": "b", "offers": "python:3", "seeks": {"sql": 2}, "availability": ["mon 09:00-10:00"]},
    ]
    people = write(tmp_path, "people.json", json.dumps(items))
    assert main([str(people), "--out", str(tmp_path / "g.csv"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["groups"][0]["members"] == ["a", "b"]


def test_it_matches_bring_your_own_weights(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pairs = write(tmp_path, "pairs.csv", "a,b,weight\nx,y,2\ny,z,3\nz,w,2\nw,x,0.5\n")
    out = tmp_path / "g.csv"
    assert main(["--weights", str(pairs), "--out", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total_weight"] == 4.0  # x-y + z-w beats y-z alone
    assert data["upper_bound"] >= 4.0
    assert len(read_groups(out)) == 4


@pytest.mark.parametrize(
    ("files", "args", "message"),
    [
        ({"p.csv": "name,level\nAna,3\n"}, ["p.csv"], "missing column 'id'"),
        ({"p.csv": "id,level\na,three\n"}, ["p.csv"], "row 2: level must be an integer"),
        ({"w.csv": "a,b\nx,y\n"}, ["--weights", "w.csv"], "missing column 'weight'"),
        ({"w.csv": "a,b,weight\nx,y,lots\n"}, ["--weights", "w.csv"], "must be a number"),
        (
            {"p.csv": "id\nx\ny\n", "w.csv": "a,b,weight\nx,q,1\n"},
            ["p.csv", "--weights", "w.csv"],
            "unknown id 'q'",
        ),
        ({"p.csv": "id\nx\n"}, ["p.csv", "--mode", "circle"], "unknown mode 'circle'"),
        ({"p.csv": "id,timezone\nx,Mars/Base\n"}, ["p.csv"], "unknown time zone"),
    ],
)
def test_it_rejects_bad_input_with_one_line_and_writes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, str],
    args: list[str],
    message: str,
) -> None:
    for name, text in files.items():
        write(tmp_path, name, text)
    argv = [str(tmp_path / a) if a.endswith(".csv") else a for a in args]
    out = tmp_path / "groups.csv"
    assert main([*argv, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert "\n" not in err and message in err
    assert not out.exists()


def test_python_dash_m_runs_the_command(tmp_path: Path) -> None:
    people = write(tmp_path, "people.csv", PEOPLE)
    out = tmp_path / "g.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "twoway.matching", str(people), "--out", str(out), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["n"] == 4
    assert out.exists()


def test_weights_above_the_exact_limit_say_heuristic_in_json_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import twoway.matching.solvers as solvers

    monkeypatch.setattr(solvers, "EXACT_LIMIT", 3)
    pairs = write(tmp_path, "pairs.csv", "a,b,weight\nx,y,2\ny,z,3\nz,w,2\nw,x,0.5\nv,w,1\n")
    out = tmp_path / "g.csv"
    assert main(["--weights", str(pairs), "--out", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["heuristic"] is True and data["time_capped"] is False
    assert data["upper_bound"] >= data["pair_weight"]
    assert main(["--weights", str(pairs), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "heuristic result: not a proven optimum; at most" in text
    assert "below the best possible (certified gap)" in text
    monkeypatch.setattr(solvers, "EXACT_LIMIT", 6000)
    assert main(["--weights", str(pairs), "--out", str(out)]) == 0
    assert "heuristic" not in capsys.readouterr().out


def test_it_takes_the_level_rule_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "id,name,level\na,Ana,2\nb,Ben,3\nh,Head,7\n"
    people = write(tmp_path, "people.csv", text)
    out = tmp_path / "g.csv"
    assert main([str(people), "--out", str(out), "--json", "--no-trios"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [u["reason"] for u in data["unmatched"]] == ["level_gap"]
    assert main([str(people), "--out", str(out), "--json", "--max-level-gap", "any"]) == 0
    assert json.loads(capsys.readouterr().out)["unmatched"] == []
    assert main([str(people), "--out", str(out), "--max-level-gap", "far"]) == 2
    assert "--max-level-gap must be" in capsys.readouterr().err
