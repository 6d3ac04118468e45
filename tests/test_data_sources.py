"""Local file formats, the hub path (on a local dataset folder), bad rows and the prepare-dataset CLI."""

from __future__ import annotations

import csv
import json
import logging
import time
from pathlib import Path

import pytest

from cotdistill.cli import main as cli
from cotdistill.data import load_split
from cotdistill.data import sources
from cotdistill.io import read_jsonl, write_jsonl

from conftest import FIXTURES

BENCH = FIXTURES  # 30-row samples of GSM8K, SVAMP, MATH-500, AQuA (tests/fixtures/LICENSES.md)


def shared(name: str) -> list[dict]:
    return read_jsonl(BENCH / name / "test.jsonl")


# Hand-written rows in the release layouts of the sets whose licences do not allow copying rows here.
def strategyqa_rows(n: int) -> list[dict]:
    """BIG-bench task.json examples: input, target_scores, target (the first one a 'Yes')."""
    return [{"input": f"Is {i} an even number?", "target_scores": {"Yes": int(i % 2 == 0), "No": int(i % 2 == 1)},
             "target": f"{'Yes' if i % 2 == 0 else 'No'}. {i} is {'even' if i % 2 == 0 else 'odd'}."} for i in range(n)]


def mc_rows(n: int) -> list[dict]:
    """CommonsenseQA / ARC release rows: {id, question: {stem, question_concept, choices}, answerKey}."""
    return [{"id": f"q{i:03d}", "answerKey": "ABCD"[i % 4],
             "question": {"stem": f"Which option is number {i % 4}?", "question_concept": "numbers",
                          "choices": [{"label": lb, "text": f"option {lb} of {i}"} for lb in "ABCD"]}} for i in range(n)]


def anli_rows(n: int) -> list[dict]:
    labels = ["entailment", "neutral", "contradiction"]
    return [{"uid": f"u{i}", "premise": f"There are {i} apples on the table.", "hypothesis": f"The table holds {i} apples.",
             "label": labels[i % 3], "reason": ""} for i in range(n)]


def local(name: str, path, split: str = "test", **cfg) -> list[dict]:
    source = cfg.pop("source", "jsonl")
    return load_split(name, {"source": source, "files": {split: str(path)}, **cfg}, split)


# ---------------------------------------------------------------- local formats


def test_svamp_release_json_array_matches_jsonl(tmp_path):
    rows = shared("svamp")
    (tmp_path / "SVAMP.json").write_text(json.dumps(rows))
    from_json = local("svamp", tmp_path / "SVAMP.json", source="json")
    from_jsonl = local("svamp", BENCH / "svamp" / "test.jsonl")
    assert len(from_json) == 30
    assert [(p["id"], p["answer"]) for p in from_json] == [(p["id"], p["answer"]) for p in from_jsonl]


def test_bigbench_task_json_with_examples(tmp_path):
    rows = strategyqa_rows(30)
    (tmp_path / "task.json").write_text(json.dumps({"name": "strategyqa", "examples": rows}))
    problems = local("strategyqa", tmp_path / "task.json", source="json")
    assert len(problems) == 30 and problems[0]["answer"] == "yes"


def test_aqua_release_test_json_is_jsonl(tmp_path):
    (tmp_path / "test.json").write_text((BENCH / "aqua" / "test.jsonl").read_text())
    assert len(local("aqua", tmp_path / "test.json", source="json")) == 30


def test_tabmwp_release_dict_keyed_by_pid(tmp_path):
    data = {"7": {"question": "How many?", "choices": None, "answer": "5", "table_title": "T",
                  "table": "a | b", "ques_type": "free_text", "ans_type": "integer_number"},
            "9": {"question": "Which?", "choices": ["red", "blue"], "answer": "blue", "table": "a | b",
                  "ques_type": "multi_choice", "ans_type": "extractive_text"}}
    (tmp_path / "problems_test.json").write_text(json.dumps(data))
    problems = local("tabmwp", tmp_path / "problems_test.json", source="json")
    assert [(p["id"], p["answer"], p["answer_type"]) for p in problems] == [("7", "5", "number"),
                                                                           ("9", "B", "choice")]


def test_csv_and_parquet(tmp_path):
    rows = shared("gsm8k")[:25]
    with open(tmp_path / "test.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["question", "answer"])
        writer.writeheader()
        writer.writerows(rows)
    import pyarrow as pa
    import pyarrow.parquet as pq

    arc = mc_rows(10)
    pq.write_table(pa.Table.from_pylist(arc), tmp_path / "arc.parquet")
    from_csv = local("gsm8k", tmp_path / "test.csv", source="csv")
    assert [p["answer"] for p in from_csv] == [r["answer"].rpartition("####")[2].strip() for r in rows]
    assert [p["id"] for p in from_csv] == [p["id"] for p in local("gsm8k", BENCH / "gsm8k" / "test.jsonl")][:25]
    from_pq = local("arc_challenge", tmp_path / "arc.parquet", source="parquet")
    assert [(p["id"], p["answer"]) for p in from_pq] == [(r["id"], r["answerKey"]) for r in arc]


def test_folder_path_finds_split_files(tmp_path):
    write_jsonl(tmp_path / "test.jsonl", shared("gsm8k")[:5])
    problems = load_split("gsm8k", {"source": "jsonl", "path": str(tmp_path)}, "test")
    assert len(problems) == 5
    with pytest.raises(FileNotFoundError, match="datasets.gsm8k.path: .*no train"):
        load_split("gsm8k", {"source": "jsonl", "path": str(tmp_path)}, "train")


# ---------------------------------------------------------------- bad rows


def _bad_file(tmp_path) -> Path:
    good = shared("gsm8k")[:3]
    lines = [json.dumps(good[0]), "{not json", json.dumps({"question": "Q?"}),
             json.dumps({"question": "Q?", "answer": "x\n#### many"}), json.dumps(good[1])]
    path = tmp_path / "test.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("line, message", [(2, "invalid JSON"), (3, "missing field answer"),
                                           (4, "is not a number")])
def test_bad_row_error_names_file_and_line(tmp_path, line, message):
    path = _bad_file(tmp_path)
    lines = path.read_text().splitlines()
    keep = [lines[0], lines[line - 1]]  # the bad line becomes line 2
    path.write_text("\n".join(keep) + "\n")
    with pytest.raises(ValueError, match=rf"{path}:2: .*{message}.*on_bad_row"):
        local("gsm8k", path)


def test_bad_rows_skipped_and_counted(tmp_path, caplog):
    path = _bad_file(tmp_path)
    with caplog.at_level(logging.WARNING, logger="cotdistill.data.benchmarks"):
        problems = local("gsm8k", path, on_bad_row="skip")
    assert len(problems) == 2
    assert "skipped 3 bad row(s) of 5" in caplog.text and f"{path}:2" in caplog.text


# ---------------------------------------------------------------- hub path


def _hub_folder(tmp_path) -> Path:
    """A local folder in the hub layouts (flat CSQA, integer ANLI labels) that load_dataset reads."""
    folder = tmp_path / "hub"
    csqa = [{"id": r["id"], "question": r["question"]["stem"], "question_concept": r["question"]["question_concept"],
             "choices": {"label": [c["label"] for c in r["question"]["choices"]],
                         "text": [c["text"] for c in r["question"]["choices"]]},
             "answerKey": r["answerKey"]} for r in mc_rows(40)]
    write_jsonl(folder / "csqa" / "validation.jsonl", csqa)
    names = ["entailment", "neutral", "contradiction"]
    anli = [{**r, "label": names.index(r["label"])} for r in anli_rows(40)]
    import pyarrow as pa
    import pyarrow.parquet as pq

    (folder / "anli" / "data").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(anli), folder / "anli" / "data" / "test_r3-00000-of-00001.parquet")
    return folder


def test_hub_path_on_local_folder_matches_release(tmp_path):
    folder = _hub_folder(tmp_path)
    cache = str(tmp_path / "cache")
    hub = load_split("commonsenseqa", {"source": "hf", "path": str(folder / "csqa"), "cache_dir": cache}, "test")
    write_jsonl(tmp_path / "csqa_release.jsonl", mc_rows(40))
    write_jsonl(tmp_path / "anli_release.jsonl", anli_rows(40))
    release = local("commonsenseqa", tmp_path / "csqa_release.jsonl")
    strip = lambda ps: [{k: v for k, v in p.items() if k != "meta"} for p in ps]  # noqa: E731
    assert strip(hub) == strip(release)
    anli = load_split("anli", {"source": "hf", "path": str(folder / "anli"), "cache_dir": cache,
                               "n_test": 10, "seed": 0}, "test")
    release = {p["id"]: p["answer"] for p in local("anli", tmp_path / "anli_release.jsonl")}
    assert len(anli) == 10 and all(release[p["id"]] == p["answer"] for p in anli)


def test_uncached_hub_dataset_fails_fast_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "hub_reachable", lambda timeout=3.0: False)  # simulate no network
    start = time.monotonic()
    with pytest.raises(RuntimeError) as info:
        load_split("gsm8k", {"source": "hf", "cache_dir": str(tmp_path / "hf")}, "test")
    assert time.monotonic() - start < 10
    message = str(info.value)
    assert "\n" not in message and "openai/gsm8k" in message
    assert "datasets.gsm8k" in message and "source: jsonl" in message and "files:" in message


def test_config_errors_name_the_key():
    with pytest.raises(ValueError, match="datasets.gsm8k.source"):
        load_split("gsm8k", {"source": "ftp"}, "test")
    with pytest.raises(ValueError, match="datasets.gsm8k.dev_size"):
        load_split("gsm8k", {"source": "jsonl", "files": {"train": "x"}}, "dev")
    with pytest.raises(ValueError, match="datasets.tabmwp.path"):
        load_split("tabmwp", {"source": "hf"}, "test")


# ---------------------------------------------------------------- CLI


def test_prepare_dataset_cli(tmp_path, capsys):
    src = BENCH / "aqua" / "test.jsonl"
    out = tmp_path / "aqua.jsonl"
    assert cli(["prepare-dataset", "aqua", "--from", str(src), "--out", str(out)]) == 0
    rows = read_jsonl(out)
    assert len(rows) == 30 and rows[0]["answer"] == "A" and rows[0]["split"] == "test"
    assert "wrote 30 aqua problems" in capsys.readouterr().err
    # a folder with {split}.jsonl, and a bad file: exit 1 with the file and line
    assert cli(["prepare-dataset", "gsm8k", "--from", str(BENCH / "gsm8k"), "--out", str(out),
                "--split", "train"]) == 0
    assert len(read_jsonl(out)) == 30
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "Q", "answer": "#### 1"}\n{oops\n')
    assert cli(["prepare-dataset", "gsm8k", "--from", str(bad), "--out", str(tmp_path / "o.jsonl")]) == 1
    assert f"{bad}:2: invalid JSON" in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()


def test_generator_source_delegates_to_reasoning_gym():
    pytest.importorskip("reasoning_gym")
    problems = load_split("chain_sum", {"source": "generator", "n_test": 5, "seed": 0}, "test")
    assert len(problems) == 5 and all(p["split"] == "test" and p["answer_type"] == "number" for p in problems)
