"""The arena's first schema: pairs shown, votes (one per pair), shared photos.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "pairs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("voter", sa.String(64), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("photo", sa.String(64), nullable=False),
        sa.Column("photo_set", sa.String(16), nullable=False),
        sa.Column("model_a", sa.String(64), nullable=False),
        sa.Column("model_b", sa.String(64), nullable=False),
        sa.Column("setup_a", sa.JSON, nullable=False),
        sa.Column("setup_b", sa.JSON, nullable=False),
        sa.Column("app_version", sa.String(32), nullable=False),
    )
    op.create_index("ix_pairs_voter", "pairs", ["voter"])
    op.create_table(
        "votes",
        sa.Column("pair_id", sa.String(32), sa.ForeignKey("pairs.id"), primary_key=True),
        sa.Column("winner", sa.String(16), nullable=False),
        sa.Column("view", sa.String(16), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "shared_photos",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("shared_photos")
    op.drop_table("votes")
    op.drop_index("ix_pairs_voter", "pairs")
    op.drop_table("pairs")
