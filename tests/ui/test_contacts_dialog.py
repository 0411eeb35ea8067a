"""File › Import contacts… in the real window (offscreen) on the real engine: a preview that changes
nothing, the merge as a job with its row in the status bar, a bad file in one sentence."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from desk.store.models import Contact
from ui import automation_actions

CARDS = (
    "BEGIN:VCARD\nVERSION:3.0\nFN:Nadia Haddad\nTEL;TYPE=CELL:+1 202 555 0191\n"
    "CATEGORIES:Regulars\nEND:VCARD\n"
    "BEGIN:VCARD\nVERSION:3.0\nFN:No Number\nEND:VCARD\n"
)


def test_import_previews_then_merges_as_a_job(desk: Any, qtbot: Any, tmp_path) -> None:
    path = tmp_path / "phone.vcf"
    path.write_text(CARDS, encoding="utf-8")
    dlg = automation_actions.open_contacts_import(desk.window)
    dlg.load(path)
    desk.wait(lambda: dlg.preview is not None)
    assert "1 number(s) to merge, 1 entry that cannot be imported" in dlg.summary.text()
    assert dlg.problems.item(0).text() == "card 2: No Number has no phone number"
    assert not Contact.select().where(Contact.number == "+12025550191").exists()
    qtbot.mouseClick(dlg.import_button, Qt.MouseButton.LeftButton)
    desk.wait(lambda: dlg.applied is not None)
    assert dlg.summary.text().startswith("Contacts imported: 1 new")
    nadia = Contact.get(Contact.number == "+12025550191")
    assert (nadia.name, nadia.tag_list) == ("Nadia Haddad", ["regulars"])


def test_a_file_that_is_not_contacts_is_one_sentence(desk: Any, tmp_path) -> None:
    path = tmp_path / "photo.vcf"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    dlg = automation_actions.open_contacts_import(desk.window)
    dlg.load(path)
    desk.wait(lambda: "not a text file" in dlg.summary.text())
    assert not dlg.import_button.isEnabled()
