"""The Simplified Chinese catalogue is complete and its compiled .mo is current."""

from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_string_has_a_chinese_translation():
    po = polib.pofile(str(LOCALE / "django.po"))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"untranslated in zh_Hans: {untranslated}"
    assert not fuzzy, f"fuzzy in zh_Hans: {fuzzy}"


def test_the_compiled_catalogue_matches_the_po_file():
    po = {e.msgid: e.msgstr for e in polib.pofile(str(LOCALE / "django.po")) if not e.obsolete}
    mo = {e.msgid: e.msgstr for e in polib.mofile(str(LOCALE / "django.mo")) if e.msgid}
    assert po == mo, "run `make compilemessages` and commit django.mo"


def test_placeholders_survive_translation():
    import re

    for entry in polib.pofile(str(LOCALE / "django.po")):
        wanted = sorted(re.findall(r"%\(\w+\)[sd]", entry.msgid))
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert sorted(re.findall(r"%\(\w+\)[sd]", text)) == wanted, entry.msgid


def test_the_catalogue_holds_every_string_of_the_code_and_templates(tmp_path, settings):
    """A string added to the code or a template without `make messages` is
    missing from the catalogue, so Chinese users would see English: extract
    afresh, in a copy of the sources (makemessages writes next to what it
    scans), and compare."""
    import os
    import shutil

    from django.core.management import call_command

    root = LOCALE.parents[2]
    src = tmp_path / "src"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "migrations", "static")
    for name in (
        "config",
        "core",
        "governance",
        "grids",
        "partyorg",
        "services",
        "integrations",
        "templates",
    ):
        shutil.copytree(root / name, src / name, ignore=skip)
    (src / "locale" / "zh_Hans" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(LOCALE / "django.po", src / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    settings.LOCALE_PATHS = [str(src / "locale")]
    cwd = os.getcwd()
    os.chdir(src)
    try:
        call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, verbosity=0)
    finally:
        os.chdir(cwd)
    fresh = polib.pofile(str(src / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    committed = {e.msgid for e in polib.pofile(str(LOCALE / "django.po")) if not e.obsolete}
    new = sorted(e.msgid for e in fresh if not e.obsolete and e.msgid not in committed)
    assert not new, f"run `make messages` and translate: {new}"
    untranslated = [e.msgid for e in fresh.untranslated_entries() + fresh.fuzzy_entries()]
    assert not untranslated, f"untranslated in zh_Hans: {untranslated}"
