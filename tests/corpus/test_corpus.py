"""Every case of the bad-input corpus through the command line, on every store adapter.

For each case and adapter: no traceback; the exit status expected (1 only with a pointer to the
log); a refusal names its row and field; nothing is written on refusal (a checksum of every
layer, read through the store interface); an accepted case writes exactly what it says. Both
adapters give the same status and the same messages.

Every case of a test process runs against one store per adapter: refusals write nothing, and
each accepted case writes records of its own ids, so that no case depends on another."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mineaction.cli import main
from tests.corpus.cases import Case, all_cases
from tests.corpus.conftest import CorpusStores

CASES = all_cases()

#: Layers that accepted imports of hazards (their history) and activities (the land release
#: engine) write besides the layer imported.
DERIVED = {"release-steps", "hazard-versions", "hazards"}
#: Layers where an accepted import records itself (one record, whatever it wrote).
PROVENANCE = {"imports"}


def params() -> list:  # type: ignore[type-arg]
    out = []
    for c in CASES:
        marks = [pytest.mark.xfail(reason=c.xfail, strict=True)] if c.xfail else []
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out


def normalised(text: str, folder: Path, url: str) -> str:
    text = text.replace(url, "STORE").replace(str(folder), "FOLDER")
    return re.sub(r"\s+", " ", text).strip()


def run_case(case: Case, adapter: str, corpus: CorpusStores, folder: Path, argv: list[str],
             capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    url = corpus.shared(adapter)
    before = corpus.states[adapter]
    db = case.db.format(f=folder) if case.db else url
    capsys.readouterr()
    code = main(["--db", db, *argv])
    out, err = capsys.readouterr()
    # the shared store's bookkeeping before any assertion, so that a failing case leaves the
    # next one a store whose state is known
    after = corpus.state(url)
    if code == 0:
        corpus.states[adapter] = after
    elif after != before:
        corpus.readers.pop(url).close()
        corpus.shared_urls.pop(adapter)  # the next case gets a clean copy
    text = out + err
    flat = " ".join(text.split())
    assert "Traceback" not in text, text
    assert code == case.exit, f"{adapter}: exit {code}, expected {case.exit}\n{text}"
    log = folder / "crash.log"
    if code == 1:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert ("details in" in err) == log.exists(), err
    else:
        assert not log.exists(), log.read_text() if log.exists() else ""
    if case.row:
        place = " ".join((f"{case.row}, field '{case.field}'" if case.field
                          else case.row).split())
        assert place in flat, f"{adapter}: the refusal does not name {place!r}:\n{text}"
    for words in case.says:
        assert " ".join(words.format(f=folder).split()) in flat, (
            f"{adapter}: {words!r} not said:\n{text}")
    if case.exit != 0:
        assert after == before, f"{adapter}: the store changed on a refusal"
    else:
        gained = {k: after[1][k] - before[1][k] for k in after[1]
                  if after[1][k] != before[1][k]}
        derived = {k: n for k, n in gained.items() if k in DERIVED and k not in case.writes}
        recorded = {k: n for k, n in gained.items() if k in PROVENANCE and k not in case.writes}
        assert all(n == 1 for n in recorded.values()), f"{adapter}: recorded {recorded}"
        assert {k: n for k, n in gained.items()
                if k not in derived and k not in recorded} == case.writes, (
            f"{adapter}: wrote {gained}, expected {case.writes}\n{text}")
        if not {"activities", "hazards"} & set(case.writes):
            assert not derived, f"{adapter}: derived layers changed: {derived}"
    return code, normalised(err, folder, db)


@pytest.mark.parametrize("case", params())
def test_case(case: Case, corpus: CorpusStores, tmp_path: Path,
              capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINEACTION_LOG", str(tmp_path / "crash.log"))
    monkeypatch.delenv("MINEACTION_DB", raising=False)
    argv = case.make(tmp_path)
    outcomes = {adapter: run_case(case, adapter, corpus, tmp_path, argv, capsys)
                for adapter in corpus.adapters}
    assert len(set(outcomes.values())) == 1, f"adapters disagree:\n{outcomes}"
