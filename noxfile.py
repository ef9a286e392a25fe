"""Developer tasks: ``nox`` runs lint, typecheck and tests; ``nox -s bench`` the benchmark."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

SUPPORTED = ["3.10", "3.11", "3.12", "3.13"]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite on this interpreter (warnings are errors; see pyproject.toml)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session(python=SUPPORTED)
def tests_all(session: nox.Session) -> None:
    """The test suite on every supported Python found on the machine."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    session.install("-e", ".[celery]", "mypy>=1.10", "pytest>=8")
    session.run("mypy", "--strict", "qoder_async")


@nox.session
def bench(session: nox.Session) -> None:
    """Throughput against raw aiohttp and the official SDK (nginx if installed)."""
    session.install("-e", ".[bench]")
    session.run("python", "benchmarks/bench_create.py", *session.posargs)
