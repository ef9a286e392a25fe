"""The public names of the files, vaults and skills groups, gathered for the package root
(``from qoder_async import FileMetadata``), which re-exports this module's ``__all__``."""

from ._binary import BinaryResponse
from ._models.files import FileMetadata, FileScope
from ._models.skills import Skill, SkillSource, SkillVersion
from ._models.vaults import (
    Credential,
    CredentialAuth,
    CredentialRefresh,
    CredentialValidation,
    InjectionLocation,
    TokenEndpointAuth,
    ValidationHttpResponse,
    ValidationStep,
    Vault,
)
from ._multipart import FileChangedError, FileInput
from .resources.credentials import AsyncCredentialsAPI
from .resources.files import AsyncFilesAPI
from .resources.skills import AsyncSkillsAPI, AsyncSkillVersionsAPI
from .resources.vaults import AsyncVaultsAPI

__all__ = [
    # resources and what they return besides models
    "AsyncFilesAPI",
    "AsyncVaultsAPI",
    "AsyncCredentialsAPI",
    "AsyncSkillsAPI",
    "AsyncSkillVersionsAPI",
    "BinaryResponse",
    "FileInput",
    # errors
    "FileChangedError",
    # models
    "FileMetadata",
    "FileScope",
    "Vault",
    "Credential",
    "CredentialAuth",
    "CredentialRefresh",
    "TokenEndpointAuth",
    "InjectionLocation",
    "CredentialValidation",
    "ValidationStep",
    "ValidationHttpResponse",
    "Skill",
    "SkillSource",
    "SkillVersion",
]
