"""Bring the core's gettext catalogues up to date with the code: write
src/mineaction/locale/mineaction.pot (every message template, report heading and vocabulary
label) and merge it into each language's mineaction.po, and the English plural forms into
locale/en/LC_MESSAGES/mineaction.po (see mineaction.catalogues).

    .venv/bin/python scripts/messages-pot.py
"""

from __future__ import annotations

from mineaction.catalogues import LANGUAGES, entries, update, update_english


def main() -> None:
    done = update()
    total = len(entries())
    for lang in LANGUAGES:
        print(f"{lang}: {done[lang]} of {total} messages translated")
    plural, unchecked = update_english()
    print(f"en: {plural} plural forms, {unchecked} to check (marked fuzzy)")


if __name__ == "__main__":
    main()
