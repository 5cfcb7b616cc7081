"""The playlist's validation: every problem at once, and exactly the bounds documented."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dashboard.access.wall_playlist import (
    MAX_ENTRIES,
    MAX_SECONDS,
    MIN_SECONDS,
    VIEWS,
    Playlist,
    playlist_problems,
)

known_views = st.lists(st.sampled_from(sorted(VIEWS)), min_size=1, max_size=MAX_ENTRIES)
good_seconds = st.integers(MIN_SECONDS, MAX_SECONDS)


@given(known_views, good_seconds)
def test_known_views_and_seconds_in_bounds_have_no_problem(views, seconds):
    assert playlist_problems(views, seconds) == []
    assert playlist_problems(views, str(seconds)) == []  # as a form field sends it
    assert playlist_problems(views, float(seconds)) == []


@given(known_views, st.integers().filter(lambda s: not MIN_SECONDS <= s <= MAX_SECONDS))
def test_seconds_out_of_bounds_are_one_problem_naming_the_bounds(views, seconds):
    (problem,) = playlist_problems(views, seconds)
    assert problem.item == "seconds"
    assert f"{MIN_SECONDS}–{MAX_SECONDS}" in problem.message


@given(known_views, st.one_of(st.none(), st.booleans(), st.text(), st.floats()))
def test_seconds_that_are_not_a_whole_number_are_refused(views, seconds):
    whole = isinstance(seconds, str) and seconds.strip().isdecimal()
    whole = whole or (isinstance(seconds, float) and seconds.is_integer())
    problems = playlist_problems(views, seconds)
    if whole and MIN_SECONDS <= int(float(seconds)) <= MAX_SECONDS:
        assert problems == []
    else:
        assert [p.item for p in problems] == ["seconds"]


@given(
    st.lists(st.text(min_size=1).filter(lambda v: v not in VIEWS), min_size=1, max_size=3),
    st.integers(-5, 5),
)
def test_an_unknown_view_and_bad_seconds_are_both_reported_in_form_order(unknown, seconds):
    problems = playlist_problems(["map", *unknown], seconds)
    assert [p.item for p in problems] == ["views", "seconds"]
    assert unknown[0] in problems[0].message


def test_no_view_or_too_many_views_is_a_problem():
    assert [p.item for p in playlist_problems([], 60)] == ["views"]
    assert [p.item for p in playlist_problems(None, 60)] == ["views"]
    too_many = ["map", "rankings"] * MAX_ENTRIES
    assert [p.item for p in playlist_problems(too_many, 60)] == ["views"]


def test_a_playlist_is_on_only_when_enabled_with_a_view():
    assert Playlist(("map", "rankings"), 30, True).active
    assert Playlist(("rankings",), 30, True).active
    assert not Playlist(("map", "rankings"), 30, False).active
    assert not Playlist((), 30, True).active
    assert Playlist(("map",), 30, True).as_data() == {
        "views": ["map"],
        "seconds": 30,
        "enabled": True,
    }
