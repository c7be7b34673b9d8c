"""Project settings: files, environment and flags, interpreter choice, store discovery."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from petbrowser.core.errors import ConfigError
from petbrowser.core.project import Project


@pytest.fixture(autouse=True)
def _no_env_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PETBROWSER_STORAGE", raising=False)


def test_pyproject_settings(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "lab"\n\n[tool.petbrowser]\nstorage = "../store"\n'
        'modules = ["a", "b.py"]\nhash_scheme = "labchain"\ntimeout = 5\n'
    )
    p = Project.load(tmp_path)
    assert p.root == tmp_path.resolve()
    assert p.name == "lab"
    assert p.storage_url == str((tmp_path / ".." / "store").resolve())  # relative to the root
    assert p.modules == ["a", "b.py"]
    assert p.hash_scheme == "labchain"
    assert p.timeout == 5.0
    assert p.config_file == tmp_path / "pyproject.toml"
    assert p.python == sys.executable  # no venv in the folder


def test_petbrowser_toml_top_level_keys_and_s3_url(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')  # no [tool.petbrowser]
    (tmp_path / "petbrowser.toml").write_text('storage = "s3://bucket/prefix"\nmodules = "m"\n')
    p = Project.load(tmp_path)
    assert p.storage_url == "s3://bucket/prefix"
    assert p.modules == ["m"]
    assert p.config_file == tmp_path / "petbrowser.toml"


def test_petbrowser_toml_tool_table(tmp_path: Path) -> None:
    (tmp_path / "petbrowser.toml").write_text('[tool.petbrowser]\nstorage = "store"\n')
    assert Project.load(tmp_path).storage_url == str(tmp_path.resolve() / "store")


def test_env_overrides_file_and_flag_overrides_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.petbrowser]\nstorage = "file-store"\n')
    monkeypatch.setenv("PETBROWSER_STORAGE", "s3://from-env/p")
    assert Project.load(tmp_path).storage_url == "s3://from-env/p"
    p = Project.load(tmp_path, storage="s3://from-flag/p", modules=["flagmod"], timeout=2)
    assert p.storage_url == "s3://from-flag/p"
    assert p.modules == ["flagmod"] and p.timeout == 2.0


def test_no_settings_at_all(tmp_path: Path) -> None:
    p = Project.load(tmp_path)
    assert p.storage_url is None and p.modules == [] and p.config_file is None
    assert p.hash_scheme == "pb1" and p.timeout == 60.0 and p.name == tmp_path.name


def test_project_venv_interpreter_is_preferred(tmp_path: Path) -> None:
    venv_python = tmp_path / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("")
    assert Project.load(tmp_path).python == str(venv_python)


def test_configured_interpreter_wins_and_must_exist(tmp_path: Path) -> None:
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "bin" / "python").write_text("")
    (tmp_path / "pyproject.toml").write_text(f'[tool.petbrowser]\npython = "{sys.executable}"\n')
    assert Project.load(tmp_path).python == sys.executable
    (tmp_path / "pyproject.toml").write_text('[tool.petbrowser]\npython = "envs/missing/python"\n')
    with pytest.raises(ConfigError, match="does not exist"):
        Project.load(tmp_path)


def test_bad_toml_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.petbrowser]\nstorage = "ok"\nmodules = [\n')
    with pytest.raises(ConfigError) as exc:
        Project.load(tmp_path)
    assert str(tmp_path / "pyproject.toml") in str(exc.value)
    assert "line 3" in str(exc.value)
    (tmp_path / "pyproject.toml").write_text('[tool.petbrowser]\nstorage = "ok\nmodules = []\n')
    with pytest.raises(ConfigError, match=r"pyproject.toml, line 2: invalid TOML"):
        Project.load(tmp_path)


@pytest.mark.parametrize(
    "body",
    ["modules = [1, 2]", 'hash_scheme = "md5"', "timeout = -1", "storage = 3"],
)
def test_bad_values_are_config_errors(tmp_path: Path, body: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.petbrowser]\n{body}\n")
    with pytest.raises(ConfigError):
        Project.load(tmp_path)


def test_missing_project_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Project.load(tmp_path / "nope")


def test_find_local_stores_two_levels_down(tmp_path: Path) -> None:
    for store in ("storage", "data/cache", "a/b/too_deep"):
        cls = tmp_path / store / "plugins" / "MyFilter"
        cls.mkdir(parents=True)
        (cls / "latest.json").write_bytes(b"x")
    (tmp_path / "empty" / "plugins" / "NoPointer").mkdir(parents=True)
    (tmp_path / ".venv" / "plugins" / "Hidden").mkdir(parents=True)
    (tmp_path / ".venv" / "plugins" / "Hidden" / "latest.json").write_bytes(b"x")
    found = Project.load(tmp_path).find_local_stores()
    assert found == [tmp_path / "storage", tmp_path / "data" / "cache"]
