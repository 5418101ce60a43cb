"""login attempts by address: throttle log-ins per client address as well as per account

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 19:30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_login_attempts_ip_at", "login_attempts", ["ip", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_login_attempts_ip_at", table_name="login_attempts")
