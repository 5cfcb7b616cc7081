"""Composing texts, groups, templates and folders on the real record (SQLite and PostgreSQL).

The officer governs community A of the seeded small city; community B next to it is
outside their scope. Recipients are checked against the staff table independently of
the module's own queries.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data.alerts import lifecycle
from data.incidents.actors import Actor
from data.models import (
    Delivery,
    DeliveryState,
    NodeKind,
    OrgNode,
    SmsBatch,
    SmsFolder,
    SmsGroupMember,
    SmsSource,
    Staff,
)
from data.sms import folders, groups, templates
from data.sms.compose import ComposeError, compose, find_batch
from tests.support.city import two_communities

T0 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


def staff_under(sessions: sessionmaker[Session], path: str, n: int) -> list[Staff]:
    with sessions() as db:
        return list(
            db.scalars(
                select(Staff)
                .join(OrgNode, OrgNode.id == Staff.node_id)
                .where(OrgNode.path.startswith(path), Staff.active.is_(True))
                .order_by(Staff.id)
                .limit(n)
            )
        )


def officer(path: str, user_id: int = 7) -> Actor:
    return Actor(role="duty_officer", name="社区值班员", scope_path=path, user_id=user_id)


def test_compose_to_people_and_a_group_texts_each_once(sessions: sessionmaker[Session]) -> None:
    a, _ = two_communities(sessions)
    people = staff_under(sessions, a.path, 6)
    me = officer(a.path)
    with sessions.begin() as db:
        group = groups.create_group(db, me, "防汛值守组", [s.id for s in people[2:6]], T0)
    with sessions.begin() as db:
        done = compose(
            db,
            me,
            text="  今晚 20:00 全员到岗。 ",
            staff_ids=[people[0].id, people[1].id, people[2].id, str(people[0].id)],
            group_ids=[group.id],
            client_token="tok-aaaaaaaa",
            now=T0,
        )
    assert done.recipients == 6 and not done.replayed and done.skipped == []
    with sessions() as db:
        batch = db.get(SmsBatch, done.batch_id)
        assert batch is not None
        assert (batch.source, batch.folder, batch.text) == (
            SmsSource.MANUAL,
            SmsFolder.SENT,
            "今晚 20:00 全员到岗。",
        )
        assert batch.scope_path == a.path and batch.author == "社区值班员"
        assert batch.author_user_id == 7 and batch.recipient_count == 6
        rows = db.scalars(select(Delivery).where(Delivery.batch_id == done.batch_id)).all()
        assert sorted(d.staff_id for d in rows) == sorted(s.id for s in people)
        assert {(d.state, d.alert_id, d.action_id, d.attempts) for d in rows} == {
            (DeliveryState.QUEUED, None, None, 0)
        }
        assert {d.phone for d in rows} == {s.phone for s in people}


def test_the_same_client_token_sends_once(sessions: sessionmaker[Session]) -> None:
    a, _ = two_communities(sessions)
    people = staff_under(sessions, a.path, 3)
    me = officer(a.path)
    args = {"text": "演练通知", "staff_ids": [s.id for s in people], "now": T0}
    with sessions.begin() as db:
        first = compose(db, me, client_token="double-click-1", **args)
    with sessions.begin() as db:
        again = compose(db, me, client_token="double-click-1", **args)
    assert again.replayed and again.batch_id == first.batch_id and again.recipients == 3
    # another user's identical token is another key: it cannot find (or block) this batch
    with sessions.begin() as db:
        other = compose(db, officer(a.path, user_id=8), client_token="double-click-1", **args)
    assert not other.replayed and other.batch_id != first.batch_id
    with sessions() as db:
        assert db.scalar(select(func.count(SmsBatch.id))) == 2
        assert db.scalar(select(func.count(Delivery.id))) == 6
        found = find_batch(db, me, "double-click-1")
        assert found is not None and found.id == first.batch_id


def test_a_racing_duplicate_token_fails_its_commit(sessions: sessionmaker[Session]) -> None:
    """Two requests with one token both pass the lookup; the unique key stops the second.

    The second insert waits for the first transaction (PostgreSQL: the unique index;
    SQLite: the write lock) and fails once it commits; the page then answers with the
    first batch (``find_batch``).
    """
    a, _ = two_communities(sessions)
    people = staff_under(sessions, a.path, 2)
    me = officer(a.path)
    args = {"text": "并发", "staff_ids": [s.id for s in people], "now": T0}
    errors: list[BaseException] = []

    def second_request() -> None:
        try:
            with sessions.begin() as db:
                compose(db, me, client_token="race-token-1", **args)
        except BaseException as exc:
            errors.append(exc)

    with sessions.begin() as first:
        compose(first, me, client_token="race-token-1", **args)
        racer = threading.Thread(target=second_request)
        racer.start()
        racer.join(0.5)  # it is waiting on the first transaction's unique key
        assert racer.is_alive()
    racer.join(10)
    assert len(errors) == 1 and isinstance(errors[0], IntegrityError)
    with sessions() as db:
        assert db.scalar(select(func.count(Delivery.id))) == 2
        assert find_batch(db, me, "race-token-1") is not None


def test_anyone_outside_the_scope_refuses_the_whole_text(sessions: sessionmaker[Session]) -> None:
    a, b = two_communities(sessions)
    mine = staff_under(sessions, a.path, 2)
    theirs = staff_under(sessions, b.path, 1)[0]
    with sessions.begin() as db, pytest.raises(ComposeError) as refused:
        compose(
            db,
            officer(a.path),
            text="通知",
            staff_ids=[mine[0].id, theirs.id, mine[1].id],
            client_token="outside-1",
            now=T0,
        )
    message = str(refused.value)
    assert message == "所选收件人中有 1 人不存在或不在您的管辖范围内，未发送；请刷新后重新选择"
    assert theirs.name not in message and str(theirs.id) not in message  # nothing beyond
    with sessions() as db:
        assert db.scalar(select(func.count(SmsBatch.id))) == 0
        assert db.scalar(select(func.count(Delivery.id))) == 0


def test_phoneless_and_inactive_staff_are_skipped_and_named(
    sessions: sessionmaker[Session],
) -> None:
    a, _ = two_communities(sessions)
    people = staff_under(sessions, a.path, 4)
    with sessions.begin() as db:
        db.get_one(Staff, people[1].id).phone = "  "
        db.get_one(Staff, people[2].id).active = False
    with sessions.begin() as db:
        done = compose(
            db,
            officer(a.path),
            text="通知",
            staff_ids=[s.id for s in people],
            client_token="skip-some-1",
            now=T0,
        )
    assert done.recipients == 2
    assert [(s.staff_id, s.reason) for s in done.skipped] == [
        (people[1].id, "无手机号"),
        (people[2].id, "已停用"),
    ]
    with sessions() as db:
        got = db.scalars(select(Delivery.staff_id).where(Delivery.batch_id == done.batch_id))
        assert sorted(got) == sorted([people[0].id, people[3].id])
    with sessions.begin() as db, pytest.raises(ComposeError, match="均无法接收短信"):
        compose(
            db,
            officer(a.path),
            text="通知",
            staff_ids=[people[1].id],
            client_token="skip-all-1",
            now=T0,
        )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "短信内容不能为空"),
        ("   ", "短信内容不能为空"),
        ("汛" * 501, "短信内容超过 500 字（当前 501 字）"),
    ],
)
def test_text_is_required_and_at_most_500_chars(
    sessions: sessionmaker[Session], text: str, reason: str
) -> None:
    a, _ = two_communities(sessions)
    person = staff_under(sessions, a.path, 1)[0]
    with sessions.begin() as db, pytest.raises(ComposeError) as refused:
        compose(
            db, officer(a.path), text=text, staff_ids=[person.id], client_token="text-bad1", now=T0
        )
    assert reason in str(refused.value)
    with sessions.begin() as db:
        ok = compose(
            db,
            officer(a.path),
            text="汛" * 500,
            staff_ids=[person.id],
            client_token="text-ok1",
            now=T0,
        )
    assert ok.recipients == 1


def test_no_recipients_bad_tokens_and_foreign_groups(sessions: sessionmaker[Session]) -> None:
    a, b = two_communities(sessions)
    theirs = staff_under(sessions, b.path, 2)
    with sessions.begin() as db:
        foreign = groups.create_group(db, officer(b.path), "B组", [s.id for s in theirs], T0)
    me = officer(a.path)
    with sessions.begin() as db:
        with pytest.raises(ComposeError, match="请选择收件人"):
            compose(db, me, text="x", client_token="none-1234", now=T0)
        with pytest.raises(ComposeError, match="表单已失效"):
            compose(db, me, text="x", staff_ids=[1], client_token="bad token!", now=T0)
        with pytest.raises(ComposeError, match="分组不存在或不在您的管辖范围内"):
            compose(db, me, text="x", group_ids=[foreign.id], client_token="grp-12345", now=T0)
        with pytest.raises(ComposeError, match="有 1 人不存在或不在您的管辖范围内") as gone:
            compose(db, me, text="x", staff_ids=[99999], client_token="miss-1234", now=T0)
        assert "99999" not in str(gone.value)  # the same answer as for someone elsewhere


def test_batch_and_deliveries_commit_together_or_not_at_all(
    sessions: sessionmaker[Session],
) -> None:
    """compose() only adds to the caller's transaction: a failure after it leaves nothing."""
    a, _ = two_communities(sessions)
    people = staff_under(sessions, a.path, 3)
    with pytest.raises(RuntimeError), sessions.begin() as db:
        compose(
            db,
            officer(a.path),
            text="通知",
            staff_ids=[s.id for s in people],
            client_token="rollback-1",
            now=T0,
        )
        raise RuntimeError("the audit row failed")
    with sessions() as db:
        assert db.scalar(select(func.count(SmsBatch.id))) == 0
        assert db.scalar(select(func.count(Delivery.id))) == 0


def test_groups_stay_inside_their_scope(sessions: sessionmaker[Session]) -> None:
    a, b = two_communities(sessions)
    mine = staff_under(sessions, a.path, 3)
    theirs = staff_under(sessions, b.path, 1)[0]
    me, neighbour = officer(a.path), officer(b.path)
    with sessions.begin() as db:
        with pytest.raises(groups.GroupError) as outside:
            groups.create_group(db, me, "越界组", [mine[0].id, theirs.id, 99_999], T0)
        assert str(outside.value) == "所选成员中有 2 人不存在或不在您的管辖范围内"
        assert theirs.name not in str(outside.value)
        with pytest.raises(groups.GroupError, match="至少选择一名成员"):
            groups.create_group(db, me, "空组", [], T0)
        made = groups.create_group(db, me, "网格长", [mine[0].id, mine[1].id], T0)
        with pytest.raises(groups.GroupError, match="已有名为「网格长」的分组"):
            groups.create_group(db, me, "网格长", [mine[2].id], T0)
    # the same name in another scope is another group
    with sessions.begin() as db:
        groups.create_group(db, neighbour, "网格长", [theirs.id], T0)
    with sessions.begin() as db:
        assert [(g.name, g.member_count) for g in groups.list_groups(db, a.path)] == [("网格长", 2)]
        city = groups.list_groups(db, "/")
        assert sorted(g.scope_path for g in city) == sorted([a.path, b.path])
        with pytest.raises(groups.GroupError, match="不存在或不在您的管辖范围内"):
            groups.update_group(db, neighbour, made.id, "改名", [theirs.id])
        changed = groups.update_group(db, me, made.id, "网格长（新）", [mine[2].id, mine[0].id])
        assert (changed.name, changed.member_count) == ("网格长（新）", 2)
        assert groups.member_ids(db, a.path, made.id) == sorted([mine[0].id, mine[2].id])
    with sessions.begin() as db:
        gone = groups.delete_group(db, me, made.id)
        assert gone.name == "网格长（新）"
    with sessions() as db:
        assert (
            db.scalar(
                select(func.count())
                .select_from(SmsGroupMember)
                .where(SmsGroupMember.group_id == made.id)
            )
            == 0
        )


def test_a_member_moved_out_of_scope_blocks_the_group_send(
    sessions: sessionmaker[Session],
) -> None:
    a, b = two_communities(sessions)
    mine = staff_under(sessions, a.path, 2)
    me = officer(a.path)
    with sessions.begin() as db:
        group = groups.create_group(db, me, "会移动的组", [s.id for s in mine], T0)
    with sessions.begin() as db:  # the staff member is transferred to community B
        grid_b = db.scalar(
            select(OrgNode.id).where(OrgNode.kind == NodeKind.GRID, OrgNode.path.startswith(b.path))
        )
        db.get_one(Staff, mine[1].id).node_id = grid_b
    with sessions.begin() as db, pytest.raises(ComposeError) as refused:
        compose(db, me, text="通知", group_ids=[group.id], client_token="moved-123", now=T0)
    assert "有 1 人不存在或不在您的管辖范围内" in str(refused.value)
    assert mine[1].name not in str(refused.value)  # now serves elsewhere: not named


def test_a_group_names_only_members_inside_the_editors_scope(
    sessions: sessionmaker[Session],
) -> None:
    """A street officer editing community A's group may be told who is outside A by name."""
    a, b = two_communities(sessions)
    mine, theirs = staff_under(sessions, a.path, 1)[0], staff_under(sessions, b.path, 1)[0]
    with sessions() as db:
        street = db.get(OrgNode, a.parent_id)
        assert street is not None and b.path.startswith(street.path)
        street_path = street.path
    with sessions.begin() as db:
        group = groups.create_group(db, officer(a.path), "甲组", [mine.id], T0)
    with sessions.begin() as db, pytest.raises(groups.GroupError) as refused:
        groups.update_group(db, officer(street_path), group.id, "甲组", [mine.id, theirs.id])
    assert str(refused.value) == f"以下人员不在该分组的管辖范围内：{theirs.name}（#{theirs.id}）"


def test_templates_are_named_once_per_node_and_checked(sessions: sessionmaker[Session]) -> None:
    a, _ = two_communities(sessions)
    with sessions.begin() as db:
        flood = templates.create_template(db, a.path, "防汛", "请立即排查低洼地段。", "值班员", T0)
        with pytest.raises(templates.TemplateError, match="已有名为「防汛」的模板"):
            templates.create_template(db, a.path, " 防汛 ", "重复", "值班员", T0)
        with pytest.raises(templates.TemplateError, match="模板名称不能为空"):
            templates.create_template(db, a.path, "", "x", "值班员", T0)
        with pytest.raises(templates.TemplateError, match="模板内容超过 500 字"):
            templates.create_template(db, a.path, "长", "字" * 501, "值班员", T0)
        templates.create_template(db, a.path, "防疫", "请做好防护。", "值班员", T0)
    later = T0 + dt.timedelta(hours=1)
    with sessions.begin() as db:
        edited = templates.update_template(db, a.path, flood.id, "防汛（橙色）", "新内容", later)
        assert (edited.name, edited.text, edited.updated_at) == ("防汛（橙色）", "新内容", later)
        names = [t.name for t in templates.list_templates(db, a.path)]
        assert sorted(names) == sorted(["防汛（橙色）", "防疫"])
        templates.delete_template(db, a.path, flood.id)
        with pytest.raises(templates.TemplateError, match="不存在"):
            templates.delete_template(db, a.path, flood.id)
    with sessions() as db:
        assert [t.name for t in templates.list_templates(db, a.path)] == ["防疫"]


def test_templates_follow_the_tree(sessions: sessionmaker[Session]) -> None:
    """Security finding 6: a district officer could overwrite or delete the city's templates.

    A template belongs to a node: seen from that node, below it (to use) and above it
    (to manage); changed only from the node itself or above.
    """
    a, b = two_communities(sessions)
    with sessions() as db:
        street = db.get(OrgNode, a.parent_id)
        root = db.scalar(select(OrgNode).where(OrgNode.parent_id.is_(None)))
        assert street is not None and root is not None
        street_path, root_path = street.path, root.path
    with sessions.begin() as db:
        city = templates.create_template(db, root_path, "防汛", "全市防汛通知", "市值班员", T0)
        mine = templates.create_template(db, a.path, "防汛", "甲社区防汛通知", "甲值班员", T0)
        theirs = templates.create_template(db, b.path, "乙通知", "乙社区通知", "乙值班员", T0)

    def seen(path: str) -> dict[str, tuple[str, bool]]:
        with sessions() as db:
            return {t.text: (t.scope_path, t.editable) for t in templates.list_templates(db, path)}

    assert seen(a.path) == {"全市防汛通知": (root_path, False), "甲社区防汛通知": (a.path, True)}
    assert seen(street_path) == {
        "全市防汛通知": (root_path, False),
        "甲社区防汛通知": (a.path, True),
        "乙社区通知": (b.path, True),
    }
    assert all(editable for _, editable in seen(root_path).values())

    with sessions.begin() as db:
        assert templates.get_template(db, a.path, city.id) is not None  # to use it
        assert templates.get_template(db, a.path, theirs.id) is None
        with pytest.raises(templates.TemplateError, match="上级单位的模板"):
            templates.update_template(db, a.path, city.id, "防汛", "改掉全市的", T0)
        with pytest.raises(templates.TemplateError, match="上级单位的模板"):
            templates.delete_template(db, a.path, city.id)
        with pytest.raises(templates.TemplateError, match="不存在或不在您的管辖范围内"):
            templates.update_template(db, a.path, theirs.id, "乙通知", "改掉乙的", T0)
        with pytest.raises(templates.TemplateError, match="不存在或不在您的管辖范围内"):
            templates.delete_template(db, a.path, theirs.id)
        # from above: the street manages both communities' templates
        templates.update_template(db, street_path, mine.id, "防汛", "街道改过的", T0)
        templates.delete_template(db, street_path, theirs.id)
    with sessions() as db:
        kept = {t.id: t.text for t in templates.list_templates(db, root_path)}
    assert kept == {city.id: "全市防汛通知", mine.id: "街道改过的"}


def test_folders_move_softly_and_list_by_scope(sessions: sessionmaker[Session]) -> None:
    a, b = two_communities(sessions)
    mine = staff_under(sessions, a.path, 3)
    me = officer(a.path)
    with sessions.begin() as db:
        ids = [
            compose(
                db,
                me,
                text=f"第{i}条",
                staff_ids=[s.id for s in mine],
                client_token=f"folder-{i:04d}",
                now=T0 + dt.timedelta(minutes=i),
            ).batch_id
            for i in range(3)
        ]
    with sessions.begin() as db:
        sent = folders.list_batches(db, a.path, SmsFolder.SENT)
        assert [r.id for r in sent.rows] == ids[::-1]  # newest first
        assert sent.rows[0].counts == {"queued": 3} and sent.rows[0].source == SmsSource.MANUAL
        assert folders.list_batches(db, b.path, SmsFolder.SENT).total == 0
        with pytest.raises(folders.FolderError, match="不在您的管辖范围内"):
            folders.move(db, b.path, ids[0], "file", T0)
        later = T0 + dt.timedelta(hours=1)
        batch, changed = folders.move(db, a.path, ids[0], "file", later)
        assert changed and batch.folder == SmsFolder.FILED and batch.folder_changed_at == later
        assert folders.move(db, a.path, ids[0], "file", later)[1] is False  # double click
        folders.move(db, a.path, ids[1], "delete", later)
        with pytest.raises(folders.FolderError, match="不能备案"):
            folders.move(db, a.path, ids[1], "file", later)
    with sessions.begin() as db:
        counts = folders.folder_counts(db, a.path)
        assert counts == {SmsFolder.SENT: 1, SmsFolder.FILED: 1, SmsFolder.DELETED: 1}
        assert [r.id for r in folders.list_batches(db, a.path, "deleted").rows] == [ids[1]]
        folders.move(db, a.path, ids[1], "restore", T0 + dt.timedelta(hours=2))
    with sessions() as db:
        assert folders.folder_counts(db, "/")[SmsFolder.SENT] == 2
        # nothing was deleted: every batch and every delivery is still there
        assert db.scalar(select(func.count(SmsBatch.id))) == 3
        assert db.scalar(select(func.count(Delivery.id))) == 9


def test_alert_texts_are_listed_as_alert_batches(sessions: sessionmaker[Session]) -> None:
    a, _ = two_communities(sessions)
    boss = Actor(role="duty_officer", name="市值班员", scope_path="/1/", user_id=3)
    with sessions.begin() as db:
        issued = lifecycle.issue(
            db,
            boss,
            node_id=a.id,
            level="orange",
            category="flood",
            title="暴雨橙色预警",
            text="请立即排查低洼地段",
            valid_until=T0 + dt.timedelta(hours=6),
            now=T0,
        )
    with sessions() as db:
        page = folders.list_batches(db, a.path, SmsFolder.SENT)
        assert len(page.rows) == 1
        row = page.rows[0]
        assert row.source == SmsSource.ALERT and row.author == "市值班员"
        assert row.recipient_count == issued.queued == row.counts["queued"]
        batch = db.get(SmsBatch, row.id)
        assert batch is not None
        assert (batch.alert_id, batch.action_id) == (issued.alert.id, issued.action.id)
        assert batch.client_token == f"alert-action-{issued.action.id}"
        assert (
            db.scalar(
                select(func.count(Delivery.id)).where(
                    Delivery.action_id == issued.action.id, Delivery.batch_id == row.id
                )
            )
            == issued.queued
        )
