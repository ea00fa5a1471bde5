"""A file's checks before anything is written, and which references a case may record."""

from __future__ import annotations

import io
import zipfile

import pytest

from complaints.adapters.attachments import (
    AttachmentRefusedError,
    Limits,
    inspect,
    reference_problem,
)

PDF = b"%PDF-1.4\n%%EOF\n"
DIGEST = "ab" * 32
WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def word(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml",
                         f'<Types><Override ContentType="{WORD}.main+xml"/></Types>')
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


class OneWay(io.RawIOBase):
    """A stream that cannot seek, as a client's body may be."""

    def __init__(self, content: bytes) -> None:
        self.source = io.BytesIO(content)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.source.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize("reference", [
    f"sha256:{DIGEST};type=application/pdf;size=10;name=报关单.pdf",
    "信函原件，档案盒 7",
    "contract; signed=yes",
])
def test_references_a_case_may_record(reference):
    assert reference_problem(reference) is None


@pytest.mark.parametrize("reference", [
    f"sha256:{DIGEST};type=application/pdf;size=10;name=a\r\nb.pdf",
    f"sha256:{DIGEST};type=application/pdf;size=10;name=a\u2028b.pdf",
    f"sha256:{DIGEST};type=application/pdf;size=10;name=a\u202egpj.exe",
    f"sha256:{DIGEST};type=application/pdf;size=10;name=",
    f"sha256:{DIGEST};type=application/pdf;size=10;name=" + "x" * 200 + ".pdf",
    f"sha256:{DIGEST.upper()};type=application/pdf;size=10;name=a.pdf",
    f"sha256:{DIGEST};type=text/html;size=10;name=a.pdf",
    f"sha256:{DIGEST};type=application/pdf;size=ten;name=a.pdf",
    "sha256:" + "ab" * 31 + ";type=application/pdf;size=10;name=a.pdf",
    "box 7\x00",
])
def test_references_a_case_may_not_record(reference):
    assert reference_problem(reference) is not None


def test_the_kind_and_size_come_from_the_bytes():
    attachment, stream = inspect(io.BytesIO(PDF), "C:\\Users\\wang\\scan.pdf", Limits())
    assert (attachment.media_type, attachment.size, attachment.name) == (
        "application/pdf", len(PDF), "scan.pdf")
    assert stream.read() == PDF


def test_a_stream_that_cannot_seek_is_read_no_further_than_the_limit():
    limits = Limits(file_bytes=1024)
    with pytest.raises(AttachmentRefusedError) as refused:
        inspect(OneWay(PDF + bytes(10 * 1024 * 1024)), "big.pdf", limits)
    assert refused.value.reason == "too_large"
    assert inspect(OneWay(PDF), "small.pdf", limits)[0].size == len(PDF)


def test_a_small_office_file_of_repetitive_text_is_taken_however_well_it_packs():
    attachment, _ = inspect(io.BytesIO(word({"word/document.xml": b"a" * 2_000_000})),
                            "notes.docx", Limits())
    assert attachment.media_type == WORD


@pytest.mark.parametrize("entries", [
    {"word/document.xml": bytes(40 * 1024 * 1024)},  # past the file limit, 1000 times packed
    {f"word/{number}.xml": b"" for number in range(1001)},  # more parts than any document
])
def test_an_office_file_out_of_proportion_is_refused(entries):
    with pytest.raises(AttachmentRefusedError) as refused:
        inspect(io.BytesIO(word(entries)), "bomb.docx", Limits())
    assert refused.value.reason == "out_of_proportion"
