"""``zdcal db upgrade|revision`` on a temp SQLite database (no simulator needed)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from zdcal.cli import main
from zdcal.store import generate_key, head_revision


def run(*args: str, data_dir: Path) -> str:
    result = CliRunner().invoke(main, list(args), env={"ZDCAL_DATA_DIR": str(data_dir)})
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 0, result.output
    return result.output


def test_upgrade_creates_the_schema_and_is_idempotent(
    clean_environment: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "fresh" / "data"  # does not exist yet: upgrade creates it
    assert run("db", "revision", data_dir=data_dir) == (
        f"current: none (no database at {data_dir / 'zdcal.db'})\nnewest:  {head_revision()}\n"
    )
    assert not data_dir.exists()  # asking created nothing

    first = run("db", "upgrade", data_dir=data_dir)
    again = run("db", "upgrade", data_dir=data_dir)

    assert first == again == f"database is at revision {head_revision()}\n"
    assert (data_dir / "zdcal.db").is_file()
    assert (data_dir / "secret.key").stat().st_mode & 0o777 == 0o600  # the new database's key
    assert run("db", "revision", data_dir=data_dir) == (
        f"current: {head_revision()}\nnewest:  {head_revision()}\n"
    )


def test_an_unusable_database_url_is_a_message_not_a_traceback(
    clean_environment: Path, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        main, ["db", "upgrade"],
        env={"ZDCAL_DATA_DIR": str(tmp_path), "ZDCAL_DATABASE_URL": "mysql://nobody@127.0.0.1/x"},
    )

    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ")
    assert isinstance(result.exception, SystemExit)


def test_a_file_that_is_not_a_database_is_a_message_not_a_traceback(
    clean_environment: Path, tmp_path: Path
) -> None:
    (tmp_path / "zdcal.db").write_bytes(b"these are not the bytes of an SQLite database" * 20)

    result = CliRunner().invoke(
        main, ["status"], env={"ZDCAL_DATA_DIR": str(tmp_path), "ZDCAL_SECRET_KEY": generate_key()}
    )

    assert result.exit_code == 1, result.output
    assert result.output == "Error: database error: file is not a database\n"
