"""Every file the packages need besides their Python modules (templates, static files,
translations, migrations, simulator data) is named by pyproject.toml's package data, so
wheels carry it: the globs are those setuptools applies, relative to each package."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("idp", "connectors", "clients_demo", "card_agent")
NOT_SHIPPED = {".py", ".pyc"}


def data_files(package):
    return {p.relative_to(ROOT).as_posix() for p in (ROOT / package).rglob("*")
            if p.is_file() and p.suffix not in NOT_SHIPPED and "__pycache__" not in p.parts}


def declared(package_data, package):
    base = ROOT / package
    return {p.relative_to(ROOT).as_posix() for pattern in package_data.get(package, [])
            for p in base.glob(pattern) if p.is_file()}


def test_every_data_file_is_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    package_data = config["tool"]["setuptools"]["package-data"]
    for package in PACKAGES:
        assert data_files(package) - declared(package_data, package) == set(), package
