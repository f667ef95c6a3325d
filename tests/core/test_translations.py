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
        assert sorted(re.findall(r"%\(\w+\)[sd]", entry.msgstr)) == wanted, entry.msgid
