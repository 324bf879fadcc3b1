"""The vault: Fernet encryption of secrets, key rotation, and the key file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from zdcal.store import InsecureKeyFile, InvalidKey, SecretUndecryptable, Vault, generate_key
from zdcal.store.vault import load_or_create_key

TOKEN = "zd-oauth-access-7f3c9b2e51d04a8e"


def test_round_trip_hides_the_plaintext() -> None:
    vault = Vault([generate_key()])
    first, second = vault.encrypt(TOKEN), vault.encrypt(TOKEN)
    assert TOKEN not in first
    assert first != second  # random IV: equal secrets are not recognisable in the database
    assert vault.decrypt(first) == vault.decrypt(second) == TOKEN
    assert vault.decrypt_optional(None) is None
    assert vault.encrypt_optional(None) is None


def test_first_key_encrypts_and_every_key_decrypts() -> None:
    old_key, new_key = generate_key(), generate_key()
    written_with_old = Vault([old_key]).encrypt(TOKEN)

    rotating = Vault([new_key, old_key])
    assert rotating.decrypt(written_with_old) == TOKEN
    rewritten = rotating.reencrypt(written_with_old)
    assert Vault([new_key]).decrypt(rewritten) == TOKEN
    assert Vault([new_key]).decrypt(rotating.encrypt(TOKEN)) == TOKEN
    with pytest.raises(SecretUndecryptable):
        Vault([old_key]).decrypt(rewritten)


def test_a_wrong_key_is_a_clear_error_without_the_secret() -> None:
    ciphertext = Vault([generate_key()]).encrypt(TOKEN)
    with pytest.raises(SecretUndecryptable) as caught:
        Vault([generate_key()]).decrypt(ciphertext)
    assert TOKEN not in str(caught.value)
    assert ciphertext not in str(caught.value)
    with pytest.raises(SecretUndecryptable):
        Vault([generate_key()]).decrypt("not a fernet token")


@pytest.mark.parametrize("keys", [[], ["too-short"], [generate_key(), "AAAA"]])
def test_invalid_keys_are_refused(keys: list[str]) -> None:
    with pytest.raises(InvalidKey):
        Vault(keys)


def test_keys_from_text_and_repr_hides_them() -> None:
    first, second = generate_key(), generate_key()
    vault = Vault.from_text(f" {first},\n{second} ")
    assert vault.key_count == 2
    assert Vault([second]).decrypt(Vault.from_text(second).encrypt("x")) == "x"
    assert first not in repr(vault)
    assert repr(vault) == "Vault(keys=2)"


def test_key_file_is_created_once_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secret.key"
    key = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == key
    assert Vault.from_text(key).decrypt(Vault.from_text(key).encrypt(TOKEN)) == TOKEN
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]  # no temporary left


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    path.write_text(generate_key())
    path.chmod(0o644)
    with pytest.raises(InsecureKeyFile, match="chmod 600"):
        load_or_create_key(path)


def test_a_key_file_with_garbage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    path.write_text("garbage")
    path.chmod(0o600)
    with pytest.raises(InvalidKey):
        load_or_create_key(path)
