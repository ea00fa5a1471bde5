"""`huiyin keys new-kek`: a new KEK printed, or written to a new file only its owner reads."""

from __future__ import annotations

import stat

from complaints import cli
from shared.sealing import KeyEncryptionKey


def test_new_kek_prints_a_key_each_time_a_new_one(capsys, monkeypatch):
    monkeypatch.delenv("HUIYIN_KEK", raising=False)  # the first KEK needs none before it
    assert cli.main(["keys", "new-kek"]) == 0
    first = capsys.readouterr()
    assert cli.main(["keys", "new-kek"]) == 0
    second = capsys.readouterr()

    keys = [KeyEncryptionKey.parse(out.out) for out in (first, second)]
    assert keys[0].id != keys[1].id
    assert keys[0].id in first.err


def test_new_kek_writes_a_file_only_its_owner_reads_and_never_over_another(tmp_path, capsys):
    path = tmp_path / "kek"

    assert cli.main(["keys", "new-kek", "--out", str(path)]) == 0
    written = path.read_text()
    kek = KeyEncryptionKey.parse(written)
    assert kek.id in capsys.readouterr().out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    assert cli.main(["keys", "new-kek", "--out", str(path)]) == cli.UNUSABLE
    assert "never overwritten" in capsys.readouterr().err
    assert path.read_text() == written


def test_new_kek_says_why_it_cannot_write(tmp_path, capsys):
    missing = tmp_path / "no such folder" / "kek"

    assert cli.main(["keys", "new-kek", "--out", str(missing)]) == cli.UNUSABLE
    assert "cannot create" in capsys.readouterr().err
