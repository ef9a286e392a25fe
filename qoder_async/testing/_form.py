"""The fake server's reading of ``multipart/form-data`` bodies (uploads of files and
skills): parts with their field name, filename, ``Content-Type`` and bytes."""

from __future__ import annotations

import re

import attrs

from ._wire import bad_request

__all__ = ["FormPart", "parse_form"]

_BOUNDARY = re.compile(r'boundary=(?:"([^"]+)"|([^\s;]+))', re.IGNORECASE)
_PARAM = re.compile(r';\s*([\w*]+)="((?:[^"\\]|\\.)*)"')


@attrs.frozen
class FormPart:
    """One part of a form: a plain field (``filename`` ``None``) or a file.

    Example::

        part = parse_form(body, content_type)[0]
        print(part.name, part.filename, part.content_type, len(part.data))
    """

    name: str
    filename: str | None
    content_type: str | None
    data: bytes = attrs.field(repr=False)

    @property
    def text(self) -> str:
        """The data as UTF-8 text (plain fields).

        Example::

            FormPart("name", None, None, b"a").text  # 'a'
        """
        return self.data.decode()


def parse_form(body: bytes, content_type: str) -> list[FormPart]:
    """The parts of ``body``, or the 400 the API answers for anything that is not a
    well-formed ``multipart/form-data`` body.

    Args:
        body: the request body.
        content_type: its ``Content-Type`` header (with the boundary).

    Example::

        parts = parse_form(recorded.body, recorded.headers["Content-Type"])
    """
    media = content_type.partition(";")[0].strip().lower()
    found = _BOUNDARY.search(content_type)
    if media != "multipart/form-data" or found is None:
        raise bad_request("Request body must be multipart/form-data.")
    delimiter = b"--" + (found.group(1) or found.group(2)).encode()
    sections = body.split(delimiter)
    if len(sections) < 3 or sections[0] or not sections[-1].startswith(b"--"):
        raise bad_request("Malformed multipart body.")
    return [_part(section) for section in sections[1:-1]]


def _part(section: bytes) -> FormPart:
    if not section.startswith(b"\r\n") or not section.endswith(b"\r\n"):
        raise bad_request("Malformed multipart part.")
    head, separator, data = section[2:-2].partition(b"\r\n\r\n")
    if not separator:
        raise bad_request("Malformed multipart part headers.")
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", errors="replace").split("\r\n"):
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    params = dict(_PARAM.findall(headers.get("content-disposition", "")))
    name = params.get("name")
    if not name:
        raise bad_request("A multipart part has no name.")
    filename = params.get("filename")
    if filename is not None:
        filename = filename.replace("%22", '"')
    return FormPart(name, filename, headers.get("content-type"), data)
