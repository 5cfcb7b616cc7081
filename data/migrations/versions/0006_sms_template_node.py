"""sms templates belong to a node: scope_path, names unique per node

Security finding 6 (issue 9): any duty officer could overwrite or delete city-wide
templates. A template now carries its owner node's path (``scope_path``, like
``sms_group``); existing templates go to the root node, where everyone may still use
them and only city-level users may change them. The unique name becomes unique per
node. SQLite alters the table in batch mode (copied, as in 0005); its old unnamed
unique constraint on ``name`` is found through a naming convention.

Downgrade drops the column; names that are no longer unique city-wide get their
template id appended, so no template is lost.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 16:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

#: how 0005's unnamed UNIQUE (name) is called: PostgreSQL's default, and a name given to
#: SQLite's reflected unnamed constraint through the batch's naming convention
PG_NAME_KEY = 'sms_template_name_key'
SQLITE_CONVENTION = {'uq': 'uq_%(table_name)s_%(column_0_name)s'}
SQLITE_NAME_KEY = 'uq_sms_template_name'


def _old_unique() -> tuple[dict, str]:
    if op.get_bind().dialect.name == 'sqlite':
        return {'naming_convention': SQLITE_CONVENTION}, SQLITE_NAME_KEY
    return {}, PG_NAME_KEY


def upgrade() -> None:
    with op.batch_alter_table('sms_template', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope_path', sa.String(length=255), nullable=True))
    op.execute(
        """
        UPDATE sms_template SET scope_path = COALESCE(
            (SELECT path FROM org_node WHERE parent_id IS NULL ORDER BY id LIMIT 1), '/'
        )
        """
    )
    kwargs, old_name = _old_unique()
    with op.batch_alter_table('sms_template', schema=None, **kwargs) as batch_op:
        batch_op.alter_column('scope_path', existing_type=sa.String(length=255), nullable=False)
        batch_op.drop_constraint(old_name, type_='unique')
        batch_op.create_index(batch_op.f('ix_sms_template_scope_path'), ['scope_path'], unique=False)
        batch_op.create_unique_constraint('uq_sms_template_scope_name', ['scope_path', 'name'])


def downgrade() -> None:
    op.execute(
        """
        UPDATE sms_template
        SET name = name || '（#' || CAST(id AS VARCHAR(20)) || '）'
        WHERE id NOT IN (SELECT MIN(id) FROM sms_template GROUP BY name)
        """
    )
    kwargs, old_name = _old_unique()
    with op.batch_alter_table('sms_template', schema=None, **kwargs) as batch_op:
        batch_op.drop_constraint('uq_sms_template_scope_name', type_='unique')
        batch_op.drop_index(batch_op.f('ix_sms_template_scope_path'))
        batch_op.drop_column('scope_path')
        # the name the next upgrade looks for (0005's own is unnamed on SQLite)
        batch_op.create_unique_constraint(old_name, ['name'])
