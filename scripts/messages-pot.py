"""Bring the core's gettext catalogues up to date with the code: write
src/mineaction/locale/mineaction.pot (every message template, report heading and vocabulary
label) and merge it into each language's mineaction.po (see mineaction.catalogues).

    .venv/bin/python scripts/messages-pot.py
"""

from __future__ import annotations

from mineaction.catalogues import LANGUAGES, entries, update


def main() -> None:
    done = update()
    total = len(entries())
    for lang in LANGUAGES:
        print(f"{lang}: {done[lang]} of {total} messages translated")


if __name__ == "__main__":
    main()
