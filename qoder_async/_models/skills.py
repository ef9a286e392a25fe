"""Skills: folders of instructions and files (a ``SKILL.md`` and what it uses) that agents
load, each upload a new version. Skill versions are strings (agent versions are ints)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import extra_field
from .platform import PlatformObject

__all__ = ["Skill", "SkillSource", "SkillVersion"]


@attrs.frozen
class SkillSource:
    """Where a skill comes from, when the server sends an object: an open ``type``.

    Example::

        source = skill.source
        print(source if isinstance(source, str) else source.type)  # custom
    """

    type: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class Skill(PlatformObject):
    """A skill (``skills.create``, ``retrieve``, ``list``); its files live in its versions.

    ``source`` is a string or a :class:`SkillSource`, as the server sends it.
    ``request_id`` is the ``x-request-id`` of the response (not part of equality or repr).

    Example::

        skill = await client.skills.create(files=[("review/SKILL.md", text)])
        print(skill.id, skill.display_title, skill.latest_version)
    """

    display_title: str | None = None
    latest_version: str | None = None
    source: str | SkillSource | None = None
    metadata: dict[str, Any] = attrs.field(factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen
class SkillVersion(PlatformObject):
    """One version of a skill: its ``version`` string, and the ``name``, ``description`` and
    top ``directory`` read from its files.

    ``request_id`` is the ``x-request-id`` of the response (not part of equality or repr).

    Example::

        version = await client.skills.versions.retrieve(skill.latest_version, skill_id=skill.id)
        print(version.version, version.name, version.directory)
    """

    skill_id: str | None = None
    version: str | None = None
    name: str | None = None
    description: str | None = None
    directory: str | None = None
    created_at: datetime | None = None


for _cls in (SkillSource, Skill, SkillVersion):
    attrs.resolve_types(_cls)
