"""Key rotation: re-encrypt every stored secret with the vault's first key.

To rotate: configure ``new_key,old_key``, run :func:`reencrypt_secrets` (the lead's CLI
can expose it), then configure ``new_key`` alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from zdcal.store.tables import Base, encrypted_columns
from zdcal.store.vault import Vault


async def reencrypt_secrets(session: AsyncSession, vault: Vault) -> int:
    """Re-encrypt every encrypted column of every row; returns how many rows were rewritten.

    Raises :class:`~zdcal.store.errors.SecretUndecryptable` (and changes nothing, once the
    caller rolls back) if any secret cannot be read with the configured keys.
    """
    rewritten = 0
    for table_name, names in encrypted_columns().items():
        table = Base.metadata.tables[table_name]
        key = list(table.primary_key.columns)
        rows = await session.execute(select(*key, *(table.c[name] for name in names)))
        for row in rows.all():
            values: dict[str, Any] = {
                name: vault.reencrypt(row._mapping[name])
                for name in names
                if row._mapping[name] is not None
            }
            if not values:
                continue
            condition = [column == row._mapping[column.name] for column in key]
            await session.execute(update(table).where(*condition).values(values))
            rewritten += 1
    return rewritten
