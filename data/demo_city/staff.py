"""Grid staff following the "3+X" / 一格四员 mix.

Every grid has a 网格长 and a 网格员; the next posts filled are the 网格民警 and the
督导员, anything beyond that is volunteers (now and then a second 网格员). Phone
numbers are unique because terminals and logins are tied to them.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from typing import Any

from data.demo_city.ids import IdCounters
from data.demo_city.names import mobile_phone, person_name
from data.demo_city.tree import GridPlan
from data.models import Post


def posts_for(rng: random.Random, count: int) -> list[Post]:
    """The posts of a grid with ``count`` (>= 2) staff."""
    posts = [Post.GRID_MANAGER, Post.ASSISTANT, Post.POLICE, Post.SUPERVISOR][:count]
    if count >= 4 and rng.random() < 0.1:
        posts[3] = Post.ASSISTANT
    posts.extend([Post.VOLUNTEER] * (count - len(posts)))
    return posts


def staff_rows(
    grids: Iterable[GridPlan], rng: random.Random, ids: IdCounters
) -> Iterator[dict[str, Any]]:
    """Insert-ready staff rows, grid by grid."""
    phones: set[str] = set()
    for grid in grids:
        for post in posts_for(rng, grid.staff):
            male = rng.random() < (0.85 if post is Post.POLICE else 0.5)
            phone = mobile_phone(rng)
            while phone in phones:
                phone = mobile_phone(rng)
            phones.add(phone)
            yield {
                "id": ids.next("staff"),
                "node_id": grid.id,
                "name": person_name(rng, male),
                "phone": phone,
                "post": post.value,
                "active": True,
            }
