"""Encryption at rest: every token and secret zdcal stores goes through a :class:`Vault`.

The vault holds one or more Fernet keys. The first key encrypts; every key decrypts, so
a key can be rotated by putting the new key first, re-encrypting
(:func:`zdcal.store.rotation.reencrypt_secrets`) and then dropping the old key.
There is no module-level key: whoever needs the vault is handed one.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from zdcal.store.errors import InsecureKeyFile, InvalidKey, SecretUndecryptable
from zdcal.store.private_files import private_directory

# Keys in one text (a setting or a key file) are separated by commas or whitespace.
_KEY_SEPARATORS = re.compile(r"[\s,]+")


@contextlib.contextmanager
def _undecryptable() -> Iterator[None]:
    """A text no configured key opens (or not text at all) as :class:`SecretUndecryptable`."""
    try:
        yield
    except (InvalidToken, UnicodeError) as error:
        raise SecretUndecryptable(
            "a stored secret cannot be decrypted with the configured key(s)"
        ) from error


def generate_key() -> str:
    """Return a fresh random Fernet key as text."""
    return Fernet.generate_key().decode("ascii")


class Vault:
    """Encrypts and decrypts short texts (tokens, secrets) with Fernet keys."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        """Build a vault from keys, newest first: the first one encrypts, all of them decrypt."""
        if not keys:
            raise InvalidKey("at least one secret key is needed")
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key))
            except ValueError as error:
                raise InvalidKey(
                    f"secret key #{position} is not a valid Fernet key "
                    "(expected 32 url-safe base64-encoded bytes)"
                ) from error
        self._fernet = MultiFernet(fernets)
        self.key_count = len(fernets)

    @classmethod
    def from_text(cls, text: str) -> Vault:
        """Build a vault from keys written in one text, newest first, comma/space separated."""
        return cls([key for key in _KEY_SEPARATORS.split(text.strip()) if key])

    def __repr__(self) -> str:
        return f"Vault(keys={self.key_count})"

    def encrypt(self, plaintext: str) -> str:
        """Encrypt a text with the first key; the result is ASCII and safe to store."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """Decrypt a text written by :meth:`encrypt` with any of the keys."""
        with _undecryptable():
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")

    def reencrypt(self, ciphertext: str) -> str:
        """Re-encrypt a stored text with the first key (for key rotation)."""
        with _undecryptable():
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")

    def encrypt_optional(self, plaintext: str | None) -> str | None:
        """:meth:`encrypt`, passing ``None`` through."""
        return None if plaintext is None else self.encrypt(plaintext)

    def decrypt_optional(self, ciphertext: str | None) -> str | None:
        """:meth:`decrypt`, passing ``None`` through."""
        return None if ciphertext is None else self.decrypt(ciphertext)


def load_or_create_key(path: Path) -> str:
    """Return the key text stored at ``path``, generating it (mode 0600) on first use.

    Creation is atomic: the key is written to a private temporary file and linked into
    place, so two processes starting at once end up with the same key. A key file that
    other users can read is refused rather than silently trusted.
    """
    if not path.exists():
        private_directory(path.parent)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as file:
                file.write(generate_key() + "\n")
            with contextlib.suppress(FileExistsError):  # another process won: use its key
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InsecureKeyFile(
            f"key file {path} is accessible to other users; run: chmod 600 {path}"
        )
    text = path.read_text(encoding="ascii").strip()
    Vault.from_text(text)  # fail here, with a clear message, rather than at first use
    return text
