"""The audit trail of staff actions and security events."""

from typing import Any

from models.accounts import Account
from models.audit import AuditEntry
from resolvers.core.clock import Clock


async def record(
    action: str,
    *,
    tenant_id: int,
    actor: Account | None,
    target_type: str,
    target_id: int,
    clock: Clock,
    details: dict[str, Any] | None = None,
) -> None:
    await AuditEntry.create(
        tenant_id=tenant_id,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details or {},
        created_at=clock.now(),
    )
