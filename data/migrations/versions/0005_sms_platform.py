"""sms platform: batches (folders), templates, groups; deliveries without an alert

Written like 0004 (autogenerate, then reviewed): ``UTCDateTime`` columns are plain
``sa.DateTime(timezone=True)``; enums are VARCHAR(24). SQLite alters
``alert_delivery`` in batch mode (the table is copied), PostgreSQL in place.

Existing alert deliveries get one ``sms_batch`` per alert action (source ``alert``,
folder ``sent``), so 已发短信 lists texts sent before this migration too.

Downgrade drops the SMS platform's tables; manual deliveries (no alert) cannot live in
0004's schema and are deleted with them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 09:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sms_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('manual', 'alert', name='smssource', native_enum=False, length=24), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('author_user_id', sa.Integer(), nullable=True),
    sa.Column('scope_path', sa.String(length=255), nullable=False),
    sa.Column('folder', sa.Enum('sent', 'filed', 'deleted', name='smsfolder', native_enum=False, length=24), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('folder_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipient_count', sa.Integer(), nullable=False),
    sa.Column('client_token', sa.String(length=64), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=True),
    sa.Column('action_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['action_id'], ['alert_action.id'], ),
    sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_token')
    )
    with op.batch_alter_table('sms_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_batch_action_id'), ['action_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sms_batch_alert_id'), ['alert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sms_batch_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sms_batch_folder'), ['folder'], unique=False)
        batch_op.create_index(batch_op.f('ix_sms_batch_scope_path'), ['scope_path'], unique=False)

    op.create_table('sms_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('sms_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('scope_path', sa.String(length=255), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scope_path', 'name', name='uq_sms_group_scope_name')
    )
    with op.batch_alter_table('sms_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_group_scope_path'), ['scope_path'], unique=False)

    op.create_table('sms_group_member',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['sms_group.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('group_id', 'staff_id')
    )
    with op.batch_alter_table('sms_group_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_group_member_staff_id'), ['staff_id'], unique=False)

    with op.batch_alter_table('alert_delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_id', sa.Integer(), nullable=True))
        batch_op.alter_column('alert_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column('action_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f('ix_alert_delivery_batch_id'), ['batch_id'], unique=False)
        batch_op.create_unique_constraint('uq_alert_delivery_batch_staff', ['batch_id', 'staff_id'])
        batch_op.create_foreign_key('fk_alert_delivery_batch_id', 'sms_batch', ['batch_id'], ['id'])

    # one batch per alert action that texted someone, then point its deliveries at it
    op.execute(
        """
        INSERT INTO sms_batch (source, text, author, author_user_id, scope_path, folder,
                               created_at, recipient_count, client_token, alert_id, action_id)
        SELECT 'alert', COALESCE(aa.message, ''), aa.actor, aa.actor_user_id, a.node_path,
               'sent', aa.at, COUNT(d.id), 'alert-action-' || CAST(aa.id AS VARCHAR(20)),
               aa.alert_id, aa.id
        FROM alert_action aa
        JOIN alert a ON a.id = aa.alert_id
        JOIN alert_delivery d ON d.action_id = aa.id
        GROUP BY aa.id, aa.message, aa.actor, aa.actor_user_id, a.node_path, aa.at, aa.alert_id
        ORDER BY aa.id
        """
    )
    op.execute(
        """
        UPDATE alert_delivery SET batch_id = (
            SELECT b.id FROM sms_batch b WHERE b.action_id = alert_delivery.action_id
        )
        WHERE action_id IS NOT NULL
        """
    )


def downgrade() -> None:
    op.execute("DELETE FROM alert_delivery WHERE alert_id IS NULL OR action_id IS NULL")
    with op.batch_alter_table('alert_delivery', schema=None) as batch_op:
        batch_op.drop_constraint('fk_alert_delivery_batch_id', type_='foreignkey')
        batch_op.drop_constraint('uq_alert_delivery_batch_staff', type_='unique')
        batch_op.drop_index(batch_op.f('ix_alert_delivery_batch_id'))
        batch_op.alter_column('action_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column('alert_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column('batch_id')

    with op.batch_alter_table('sms_group_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_group_member_staff_id'))

    op.drop_table('sms_group_member')
    with op.batch_alter_table('sms_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_group_scope_path'))

    op.drop_table('sms_group')
    op.drop_table('sms_template')
    with op.batch_alter_table('sms_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_batch_scope_path'))
        batch_op.drop_index(batch_op.f('ix_sms_batch_folder'))
        batch_op.drop_index(batch_op.f('ix_sms_batch_created_at'))
        batch_op.drop_index(batch_op.f('ix_sms_batch_alert_id'))
        batch_op.drop_index(batch_op.f('ix_sms_batch_action_id'))

    op.drop_table('sms_batch')
