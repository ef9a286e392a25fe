"""The fake server's skills: multipart uploads of a skill's files (one part named ``files``
each, directories in the filenames), a version per upload with its name and description
read from the ``SKILL.md`` front matter, and each version's content served as a zip.

Ids: ``skill_`` as the API documents it; versions are ``skillver_`` ids (this fake's
choice) named by a ``version`` string of microseconds since the epoch, as the API's are.
"""

from __future__ import annotations

import io
import time
import zipfile

from aiohttp import web

from ._collection import Collection, Payload, Route
from ._form import FormPart
from ._platform_files import form_of, json_field
from ._wire import ApiError, bad_request

__all__ = ["SkillRoutes"]


def _front_matter(text: str) -> dict[str, str]:
    """``key: value`` lines between the leading ``---`` lines of a SKILL.md."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}
    found: dict[str, str] = {}
    for line in lines[1:]:
        if line.strip() == "---":
            break
        key, separator, value = line.partition(":")
        if separator:
            found[key.strip()] = value.strip()
    return found


class SkillRoutes:
    """Skills and their versions (mixed into ``FakePlatform``).

    Example::

        files = server.platform.skill_files[version.id]  # {"example/SKILL.md": b"..."}
    """

    def __init__(self) -> None:
        self.skills = Collection("skill", "skill", archivable=False)
        self.skill_versions = Collection("skill_version", "skillver", archivable=False)
        #: The files of each version (filename -> bytes), by version id.
        self.skill_files: dict[str, dict[str, bytes]] = {}

    def skill_routes(self) -> list[Route]:
        """The routes of ``/skills`` and everything under it, relative to the API root.

        Example::

            routes = server.platform.skill_routes()
        """
        item = "/skills/{id}/versions/{version}"
        filters = {"display_title": lambda s: s["display_title"], "source": lambda s: s["source"]}
        return [
            ("POST", "/skills", self._create_skill),
            ("GET", "/skills", lambda request: self.skills.page(request, filters=filters)),
            ("GET", "/skills/{id}", lambda request: self.skills.get(request.match_info["id"])),
            ("DELETE", "/skills/{id}", self._delete_skill),
            ("POST", "/skills/{id}/versions", self._create_version),
            ("GET", "/skills/{id}/versions", self._skill_version_page),
            ("GET", item, self._skill_version),
            ("DELETE", item, self._delete_version),
            ("GET", item + "/content", self._skill_content),
        ]

    def _add_version(self, skill: Payload, parts: list[FormPart]) -> Payload:
        uploads = [part for part in parts if part.name == "files"]
        if not uploads:
            raise bad_request("Missing required field: files", "files")
        files = {str(part.filename): part.data for part in uploads}
        tops = {name.partition("/")[0] for name in files}
        directory = tops.pop() if len(tops) == 1 and all("/" in name for name in files) else None
        manifest = f"{directory}/SKILL.md" if directory else "SKILL.md"
        if manifest not in files:
            raise bad_request(f"A skill needs a {manifest} file.", "files")
        about = _front_matter(files[manifest].decode("utf-8", errors="replace"))
        latest = skill.get("latest_version") or "0"
        number = str(max(time.time_ns() // 1000, int(latest) + 1))
        version = self.skill_versions.add(
            {
                "skill_id": skill["id"],
                "version": number,
                "name": about.get("name") or directory,
                "description": about.get("description"),
                "directory": directory,
            }
        )
        del version["updated_at"]  # versions are immutable
        self.skill_files[version["id"]] = files
        skill.update(latest_version=number, updated_at=version["created_at"])
        return version

    async def _create_skill(self, request: web.Request) -> Payload:
        fields, files = await form_of(request)
        skill = self.skills.add(
            {
                "display_title": fields.get("display_title"),
                "latest_version": None,
                "source": "custom",
                "metadata": json_field(fields, "metadata", dict) or {},
            }
        )
        try:
            self._add_version(skill, files)
        except ApiError:
            del self.skills.items[skill["id"]]
            raise
        return skill

    def _versions_of(self, skill_id: str) -> list[Payload]:
        self.skills.get(skill_id)
        return [v for v in self.skill_versions.items.values() if v["skill_id"] == skill_id]

    def _delete_skill(self, request: web.Request) -> Payload:
        for version in self._versions_of(request.match_info["id"]):
            del self.skill_versions.items[version["id"]]
            self.skill_files.pop(version["id"], None)
        return self.skills.delete(request.match_info["id"])

    async def _create_version(self, request: web.Request) -> Payload:
        skill = self.skills.get(request.match_info["id"])
        _, files = await form_of(request)
        return self._add_version(skill, files)

    def _skill_version_page(self, request: web.Request) -> Payload:
        versions = self._versions_of(request.match_info["id"])
        return self.skill_versions.page(request, versions)

    def _skill_version(self, request: web.Request) -> Payload:
        wanted = request.match_info["version"]
        for version in self._versions_of(request.match_info["id"]):
            if version["version"] == wanted:
                return version
        raise ApiError(404, "not_found_error", f"Skill version '{wanted}' was not found.")

    def _delete_version(self, request: web.Request) -> Payload:
        version = self._skill_version(request)
        del self.skill_versions.items[version["id"]]
        self.skill_files.pop(version["id"], None)
        skill = self.skills.get(version["skill_id"])
        left = [v["version"] for v in self._versions_of(skill["id"])]
        skill["latest_version"] = max(left, key=int, default=None)
        return {"id": version["version"], "type": "skill_version_deleted"}

    def _skill_content(self, request: web.Request) -> web.Response:
        version = self._skill_version(request)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in self.skill_files[version["id"]].items():
                archive.writestr(name, data)
        return web.Response(body=buffer.getvalue(), content_type="application/zip")
