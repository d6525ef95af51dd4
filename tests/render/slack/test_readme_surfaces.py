"""The README's Slack pictures come from the real blocks: the generator renders every surface, and the README holds
what it wrote (regenerate with `make readme-slack` after changing a surface)."""

from __future__ import annotations

import re

from readme_surfaces import END, ROOT, SECTIONS, START, markdown, write_readme

from bot.engine import Advisor


def test_every_surface_renders_from_the_real_blocks(settings, built_index, tmp_path) -> None:  # type: ignore[no-untyped-def]
    advisor = Advisor.from_settings(settings)
    text = markdown(advisor, settings)
    assert text.count("```text") == len(SECTIONS)
    assert "[Share in channel]" in text and "[Full scorecard]" in text and "┌ Full scorecard ┐" in text
    assert f"Weighing {len(advisor.library_summary().articles)} articles…" in text
    assert "I only compare Node.js and Python" in text  # the engine's own line for another technology
    assert not re.search(r"<[@#!]", text)  # markup is shown as Slack shows it, never raw
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{START}\nold\n{END}\nafter\n", encoding="utf-8")
    write_readme(text, readme)
    assert "old" not in readme.read_text(encoding="utf-8") and "after" in readme.read_text(encoding="utf-8")


def test_the_readme_holds_the_generated_section() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index(START) : readme.index(END)]
    for _, intro in SECTIONS:
        assert intro in section  # written by the generator as it is now
    assert section.count("```text") == len(SECTIONS)
