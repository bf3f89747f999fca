from pathlib import Path

from mineaction.domain.formats_doc import BEGIN, END, layers_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_formats_doc_documents_every_layer_and_field():
    text = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    block = text[text.index(BEGIN):text.index(END) + len(END)]
    assert block == layers_markdown(), (
        "docs/formats.md is out of date: regenerate its layer section with "
        "python -m mineaction.domain.formats_doc")


def test_readme_opens_with_the_two_commands():
    head = (ROOT / "README.md").read_text(encoding="utf-8")[:400]
    assert "make demo" in head and "make test" in head
