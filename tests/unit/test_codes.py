"""Messages as codes: every code the core uses has an English template that renders with the
parameters given where it is used, no reason is written as literal text any more, and the
command line renders messages in the reader's language (a gettext catalogue)."""

from __future__ import annotations

import ast
import string
from pathlib import Path
from typing import Any

import pytest

from mineaction.errors import InvalidInput, NotFound, Problem
from mineaction.messages import MESSAGES, Message, render

SRC = Path(__file__).resolve().parents[2] / "src" / "mineaction"

#: Files whose messages are still literal text, each with why.
NOT_YET_CODED: dict[str, str] = {}
ERRORS = {"InvalidInput", "NotFound", "Conflict", "StoreError", "MineActionError", "BadValue",
          "Forbidden", "Unauthorized",
          "RepairFailed"}


def _sources() -> list[tuple[str, ast.Module]]:
    return [(str(p.relative_to(SRC)), ast.parse(p.read_text(encoding="utf-8")))
            for p in sorted(SRC.rglob("*.py"))]


def _code_calls() -> list[tuple[str, int, str, set[str] | None]]:
    """(file, line, code, keyword names or None when ``**`` is passed) of every ``.of(``
    call with a literal code: ``Problem.of(where, field, CODE, ...)``, ``X.of(CODE, ...)``."""
    found = []
    for rel, tree in _sources():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "of" and isinstance(node.func.value, ast.Name)):
                continue
            position = 2 if node.func.value.id == "Problem" else 0
            if len(node.args) <= position:
                continue
            arg = node.args[position]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                names = ({k.arg for k in node.keywords if k.arg}
                         if all(k.arg for k in node.keywords) else None)
                found.append((rel, node.lineno, arg.value, names))
    return found


def _fields(template: str) -> set[str]:
    """Every field a template names, those inside format specs included."""
    names = set()
    for _, name, spec, _ in string.Formatter().parse(template):
        if name is not None:
            names.add(name.split(".")[0].split("[")[0])
        if spec:
            names |= _fields(spec)
    return names


CALLS = _code_calls()


def test_the_scan_finds_the_codes_of_every_family() -> None:
    families = {code.split(".")[0] for _, _, code, _ in CALLS}
    assert {"value", "geometry", "crs", "file", "store", "import", "report", "records",
            "figures", "cli"} <= families
    assert len(CALLS) > 150


@pytest.mark.parametrize("rel,line,code,names", CALLS,
                         ids=[f"{c[0]}:{c[1]}" for c in CALLS])
def test_each_code_used_has_a_template_that_renders_with_its_parameters(
        rel: str, line: int, code: str, names: set[str] | None) -> None:
    assert code in MESSAGES, f"{rel}:{line}: {code} has no English template"
    fields = _fields(MESSAGES[code])
    if names is None:  # parameters passed on with ** from another message
        return
    assert fields == names, f"{rel}:{line}: {code} names {sorted(fields)}, given {sorted(names)}"
    # 1 fits every format spec in use (:g, :,.0f, :02X, !r)
    text = render(code, {n: 1 for n in names})
    assert text and "{" not in text.replace("{{", "")


def test_messages_are_grouped_by_family_in_order() -> None:
    order = ["text", "input", "value", "geometry", "crs", "file", "store", "import", "report",
             "records", "figures", "cli", "access", "audit", "review", "forms", "package", "api",
             "intake", "areas", "planning", "risk", "qm", "release", "eore", "evidence",
             "surface", "web", "tiles", "workspace", "bulk", "query", "settings"]
    families = [code.split(".")[0] for code in MESSAGES]
    assert set(families) <= set(order)
    positions = [order.index(f) for f in families]
    assert positions == sorted(positions), "MESSAGES is not ordered by family"


def _literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.JoinedStr):
        return True
    return (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)
            and (_literal(node.left) or _literal(node.right)))


def _literal_reasons(tree: ast.Module) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        name = node.func.id
        if name == "Problem" and len(node.args) >= 3 and _literal(node.args[2]):
            out.append((node.lineno, "Problem(...) with a literal reason"))
        elif name in ERRORS and node.args and _literal(node.args[0]):
            out.append((node.lineno, f"{name}(...) with a literal message"))
    return out


def test_no_reason_is_literal_text_in_src() -> None:
    found = {rel: hits for rel, tree in _sources()
             if rel not in NOT_YET_CODED and (hits := _literal_reasons(tree))}
    assert not found, found


def test_the_literal_scan_catches_a_literal_reason() -> None:
    tree = ast.parse('Problem("row 1", "x", f"bad {v}")\nraise NotFound("no " + x)\n'
                     'Problem.of("row 1", "x", "value.required")')
    assert [what for _, what in _literal_reasons(tree)] == [
        "Problem(...) with a literal reason", "NotFound(...) with a literal message"]


def test_problems_and_errors_keep_their_code_and_english_text() -> None:
    p = Problem.of("row 3", "found_on", "value.not_a_date", value="2023-02-30")
    assert p.code == "value.not_a_date" and dict(p.params) == {"value": "2023-02-30"}
    assert p.reason == ("expected a date as YYYY-MM-DD (or an ISO date and time), got "
                        "'2023-02-30'")
    assert str(p) == f"row 3, field 'found_on': {p.reason}"
    e = NotFound.of("records.no_such_record")
    assert e.code == "records.no_such_record" and str(e) == "no such minefield record"
    bad = InvalidInput([p])
    assert bad.summary() == f"1 problem; nothing was written\n  {p}"


def test_a_message_inside_a_message_is_rendered_in_the_same_locale() -> None:
    inner = Message.of("geometry.invalid", reason="self-intersection at 1, 2")
    p = Problem.of("row 1", "geometry", "geometry.repairable", issue=inner)
    assert p.reason == "self-intersection at 1, 2 (use --repair to repair it)"


def _catalogue(folder: Path, locale: str, translations: dict[str, str]) -> None:
    """A compiled gettext catalogue for ``locale`` under ``folder``, made with Babel."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    catalog = Catalog(locale=locale, domain="mineaction")
    for english, translated in translations.items():
        catalog.add(english, translated)
    target = folder / locale / "LC_MESSAGES"
    target.mkdir(parents=True)
    with open(target / "mineaction.mo", "wb") as fh:
        write_mo(fh, catalog)


def test_the_command_line_renders_messages_in_the_language_asked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A bad import refused in English, and in a test language from a catalogue: the core
    says codes, the command line says them in the language of --lang (or $LANG)."""
    from mineaction.cli import main

    pseudo = {MESSAGES[code]: "«" + MESSAGES[code].upper().replace("{VALUE!R}", "{value!r}")
              + "»" for code in ("value.not_a_date",)}
    pseudo[MESSAGES["input.problems_head_in"]] = "{count} PROBLÈME(S) DANS {source}"
    _catalogue(tmp_path / "locale", "xx", pseudo)
    monkeypatch.setenv("MINEACTION_LOCALEDIR", str(tmp_path / "locale"))
    db = tmp_path / "store.gpkg"
    assert main(["--db", str(db), "init"]) == 0
    bad = tmp_path / "finds.csv"
    bad.write_text("id,category,model,quantity,found_on,lon,lat\n"
                   "F-1,ap,PMN-2,1,2023-02-30,50.5,41.2\n", encoding="utf-8")
    capsys.readouterr()

    assert main(["--db", str(db), "import", "finds", str(bad)]) == 2
    english = capsys.readouterr().err
    assert "expected a date as YYYY-MM-DD (or an ISO date and time), got '2023-02-30'" in english

    assert main(["--db", str(db), "--lang", "xx", "import", "finds", str(bad)]) == 2
    translated = capsys.readouterr().err
    assert "«EXPECTED A DATE AS YYYY-MM-DD (OR AN ISO DATE AND TIME), GOT '2023-02-30'»" \
        in translated
    assert "PROBLÈME(S) DANS" in translated and "expected a date" not in translated

    monkeypatch.setenv("LANG", "xx.UTF-8")
    assert main(["--db", str(db), "import", "finds", str(bad)]) == 2
    assert "«EXPECTED A DATE" in capsys.readouterr().err


def test_an_unknown_locale_falls_back_to_english() -> None:
    p: Any = Problem.of("row 1", "x", "value.required")
    assert p.text("zz") == "required value is missing"


def test_every_template_is_used_in_src() -> None:
    """No template is left behind when the code that used it goes (each code appears as a
    string in src/, also where it is chosen by a condition)."""
    text = "".join(p.read_text(encoding="utf-8") for p in SRC.rglob("*.py")
                   if p.name != "messages.py")
    unused = [c for c in MESSAGES if f'"{c}"' not in text and not c.startswith("release.")]
    assert not unused
