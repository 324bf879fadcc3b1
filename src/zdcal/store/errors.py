"""What can go wrong in the store, as specific exception classes.

Messages never contain a token, a secret or a key: they name the thing, not its value.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every error raised by ``zdcal.store``."""


class UnsupportedDatabase(StoreError):
    """The database URL names a backend zdcal does not support (SQLite and PostgreSQL only)."""


class MigrationError(StoreError):
    """A schema migration left the database inconsistent (e.g. a broken foreign key)."""


class VaultError(StoreError):
    """Base class of the encryption-at-rest errors."""


class InvalidKey(VaultError):
    """A configured secret key is not a valid Fernet key (32 url-safe base64-encoded bytes)."""


class InsecureKeyFile(VaultError):
    """The key file can be read by other users; zdcal refuses to use it."""


class SecretUndecryptable(VaultError):
    """A stored secret cannot be decrypted with any configured key (was the key replaced?)."""


class RecordNotFound(StoreError):
    """A mutation addressed a row that does not exist."""


class AccountNotFound(RecordNotFound):
    """No account with the given id."""


class AgentNotFound(RecordNotFound):
    """No agent with the given id."""


class AccountAlreadyExists(StoreError):
    """An account with the same subdomain (or key) is already connected."""
