"""The command line as different people: who is acting, and what each one may do."""

from __future__ import annotations

from pathlib import Path

import pytest

from mineaction.cli import main
from tests.cli.conftest import example_store, store_copy  # noqa: F401  (fixtures)

PW = "correct horse battery staple"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_personal_data_is_refused_without_asking(store_copy: Path,  # noqa: F811
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    db = str(store_copy)
    code, _, err = run(capsys, "--db", db, "list", "victims-personal")
    assert code == 1
    assert "personal data" in err and "IM officers and administrators" in err
    assert "--personal --reason" in err
    code, _, err = run(capsys, "--db", db, "list", "victims-personal", "--personal")
    assert code == 2 and "reason" in err
    code, out, _ = run(capsys, "--db", db, "list", "victims-personal", "--personal",
                       "--reason", "tracing a survivor for assistance")
    assert code == 0 and "Victims' personal data" in out


@pytest.fixture
def accounts(store_copy: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
             capsys: pytest.CaptureFixture[str]) -> str:
    db = str(store_copy)
    monkeypatch.setenv("MINEACTION_NEW_PASSWORD", PW)
    for env in ("MINEACTION_PASSWORD", "MINEACTION_TOKEN"):
        monkeypatch.delenv(env, raising=False)
    assert run(capsys, "--db", db, "orgs", "add", "ORG-AX", "--name", "Authority",
               "--kind", "authority", "--country", "XV")[0] == 0
    code, _, err = run(capsys, "--db", db, "users", "add", "ana", "--org", "ORG-AX",
                       "--roles", "analyst")
    assert code == 2 and "admin role" in err
    assert run(capsys, "--db", db, "users", "add", "boss", "--org", "ORG-AX", "--roles",
               "admin")[0] == 0
    return db


def test_a_store_with_accounts_needs_someone_signed_in(
        accounts: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--db", accounts, "list", "hazards")
    assert code == 1 and "--as USER" in err and "--token" in err
    monkeypatch.setenv("MINEACTION_PASSWORD", "not the password")
    code, _, err = run(capsys, "--db", accounts, "--as", "boss", "list", "hazards")
    assert code == 1 and "wrong user name or password" in err
    monkeypatch.setenv("MINEACTION_PASSWORD", PW)
    code, out, _ = run(capsys, "--db", accounts, "--as", "boss", "list", "hazards")
    assert code == 0 and "Hazardous areas" in out
    code, out, _ = run(capsys, "--db", accounts, "--as", "boss", "users", "list")
    assert code == 0 and "boss" in out and "argon2" not in out
    code, out, _ = run(capsys, "--db", accounts, "--as", "boss", "--lang", "ru", "users", "list")
    assert code == 0 and "Пользователи" in out and "роли" in out and "boss" in out
    code, out, _ = run(capsys, "--db", accounts, "--as", "boss", "--lang", "hy", "audit", "list",
                       "--limit", "3")
    assert code == 0 and "կատարող" in out and "actor" not in out and "3 գրառում" in out


def test_operators_own_what_they_import_and_tokens(
        accounts: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    db = accounts
    monkeypatch.setenv("MINEACTION_PASSWORD", PW)
    boss = ("--db", db, "--as", "boss")
    assert run(capsys, *boss, "orgs", "add", "ORG-OP", "--name", "Operator", "--kind",
               "operator", "--country", "XV")[0] == 0
    assert run(capsys, *boss, "orgs", "add", "ORG-RP", "--name", "Platform", "--kind",
               "regional_platform", "--country", "XR")[0] == 0
    assert run(capsys, *boss, "users", "add", "op", "--org", "ORG-OP", "--roles",
               "operator")[0] == 0
    assert run(capsys, *boss, "users", "add", "rpa", "--org", "ORG-RP", "--roles",
               "analyst")[0] == 0
    plan = tmp_path / "capacity.csv"
    plan.write_text("id,operator,period_start,period_end,teams,owner\n"
                    "CAP-1,ORG-OP,2023-01-01,2023-12-31,2,ORG-AX\n", encoding="utf-8")
    code, _, err = run(capsys, "--db", db, "--as", "op", "import", "capacity", str(plan))
    assert code == 0, err
    code, out, _ = run(capsys, "--db", db, "--as", "op", "list", "capacity", "--format",
                       "csv")
    assert "CAP-1" in out and ",ORG-OP,XV," in out  # owner from the signed-in operator
    code, out, _ = run(capsys, "--db", db, "--as", "rpa", "list", "capacity", "--format",
                       "csv")
    assert code == 0 and "CAP-1" not in out
    code, _, err = run(capsys, "--db", db, "--as", "rpa", "import", "capacity", str(plan))
    assert code == 1 and "may not write" in err
    # an agreement shares it
    code, out, _ = run(capsys, *boss, "agreements", "grant", "--grantor", "ORG-OP",
                       "--grantee", "ORG-RP", "--layer", "capacity", "--precision", "exact",
                       "--where", "teams=2")
    assert code == 0 and "AG-0001" in out
    code, out, _ = run(capsys, "--db", db, "--as", "rpa", "list", "capacity", "--format",
                       "csv")
    assert "CAP-1" in out
    assert run(capsys, *boss, "agreements", "revoke", "AG-0001", "--reason", "ended")[0] == 0
    code, out, _ = run(capsys, "--db", db, "--as", "rpa", "list", "capacity", "--format",
                       "csv")
    assert "CAP-1" not in out
    # a token, shown once, acts for its user until revoked
    code, out, _ = run(capsys, "--db", db, "--as", "op", "tokens", "create", "--label", "ci")
    assert code == 0
    token = out.strip().splitlines()[-1]
    assert token.startswith("mat_")
    monkeypatch.delenv("MINEACTION_PASSWORD")
    monkeypatch.setenv("MINEACTION_TOKEN", token)
    code, out, _ = run(capsys, "--db", db, "list", "capacity", "--format", "csv")
    assert code == 0 and "CAP-1" in out
    code, out, _ = run(capsys, "--db", db, "tokens", "list")
    assert token.split("_", 2)[2] not in out
    token_id = token.split("_")[1]
    assert run(capsys, "--db", db, "tokens", "revoke", token_id)[0] == 0
    code, _, err = run(capsys, "--db", db, "list", "capacity")
    assert code == 1 and "revoked" in err


def test_copy_of_a_store_with_accounts_is_for_administrators(
        accounts: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MINEACTION_PASSWORD", PW)
    boss = ("--db", accounts, "--as", "boss")
    assert run(capsys, *boss, "users", "add", "ana", "--org", "ORG-AX", "--roles",
               "analyst")[0] == 0
    code, _, err = run(capsys, "--db", accounts, "--as", "ana", "copy", accounts,
                       str(tmp_path / "out.gpkg"))
    assert code == 1 and "only administrators" in err
    code, _, err = run(capsys, *boss, "copy", accounts, str(tmp_path / "out.gpkg"))
    assert code == 0, err
