"""The decisions behind each write (``live.domain.rules``), without a store: reads in, writes and
acks out."""

from __future__ import annotations

import calendar

import pytest

from live.domain import MAX_THEMES, Refused
from live.domain import rules as r
from live.domain.rules import AdditionRow, ChoiceRead, ThemeLoad


def refused(fn, *args, **kwargs) -> str:
    with pytest.raises(Refused) as err:
        fn(*args, **kwargs)
    return err.value.slug


# -- choosing a theme and a table --------------------------------------------------------------


def test_a_choice_for_a_theme_without_tables_or_capacity_seats_at_zero_and_names_no_table():
    choice = r.choose(ChoiceRead(1, exists=True))
    assert (choice.seat, choice.ack, choice.full) == (0, {"ok": True}, False)


def test_a_choice_for_a_theme_with_one_table_names_it():
    choice = r.choose(ChoiceRead(1, exists=True, tables=("Tafel 1",)))
    assert (choice.seat, choice.ack) == (0, {"ok": True, "table": "Tafel 1"})


def test_a_removed_theme_or_a_closed_choice_refuses():
    assert refused(r.choose, ChoiceRead(1, exists=False)) == "unknown_theme"
    assert refused(r.choose, ChoiceRead(1, exists=True, locked=True)) == "choices_locked"


def test_choosing_the_same_theme_again_keeps_the_table_and_writes_nothing():
    read = ChoiceRead(1, exists=True, tables=("A", "B"), capacity=2, current=(1, 1), taken=2)
    choice = r.choose(read)
    assert (choice.seat, choice.ack, choice.full) == (None, {"ok": True, "table": "B"}, False)


def test_the_last_seat_goes_and_the_next_chooser_hears_the_theme_is_full():
    assert r.choose(ChoiceRead(1, exists=True, capacity=3, taken=2)).seat == 0
    full = r.choose(ChoiceRead(1, exists=True, capacity=3, taken=3))
    assert full.full and full.seat is None and full.ack["error"] == "theme_full"
    # Moving from another theme into a full one is refused too.
    assert r.choose(ChoiceRead(1, exists=True, capacity=3, taken=3, current=(2, 0))).full


def test_a_chooser_goes_to_the_emptiest_table_ties_to_the_lowest_seat():
    tables = ("A", "B", "C")
    assert r.choose(ChoiceRead(1, exists=True, tables=tables, per_table={})).ack["table"] == "A"
    assert r.choose(ChoiceRead(1, exists=True, tables=tables, per_table={0: 1})).seat == 1
    assert r.choose(ChoiceRead(1, exists=True, tables=tables, per_table={0: 2, 1: 1, 2: 1})).seat == 1
    assert r.choose(ChoiceRead(1, exists=True, tables=tables, per_table={0: 1, 1: 1, 2: 0})).seat == 2
    assert r.emptiest_table({}, 0) == 0 and r.emptiest_table({0: 5}, 1) == 0


def test_a_seat_beyond_the_tables_is_the_first_table():
    assert r.table_at(("A", "B"), 5) == "A"
    assert r.table_at((), 0) is None
    assert r.seated(None) == {"ok": True}


def test_the_full_ack_names_the_themes_with_room_in_screen_order():
    loads = [ThemeLoad(3, None, 0), ThemeLoad(1, 2, 2), ThemeLoad(2, 5, 1)]
    assert r.theme_full(loads) == {"ok": False, "error": "theme_full", "room": [3, 2]}
    assert r.full_themes(loads) == [1]
    assert not r.is_full(None, 10**6) and r.is_full(1, 1)


def test_a_paper_form_sits_down_even_when_the_theme_is_full_or_closed_at_the_emptiest_table():
    assert r.form_seat(True, ("A", "B"), {0: 4, 1: 4}) == 0
    assert r.form_seat(True, ("A", "B"), {0: 4, 1: 3}) == 1
    assert r.form_seat(True, (), {0: 100}) == 0
    assert refused(r.form_seat, False, (), {}) == "unknown_theme"


# -- merging themes -----------------------------------------------------------------------------


def test_merging_a_theme_moves_its_choosers_and_resets_the_pace_only_when_it_was_current():
    merge = r.merge_themes(2, 3, alive=[2, 3], choosers=4, current_theme=2)
    assert (merge.theme, merge.into, merge.reset_pace, merge.ack) == (2, 3, True, {"ok": True, "moved": 4})
    assert not r.merge_themes(2, 3, alive=[3, 2], choosers=0, current_theme=3).reset_pace


def test_a_theme_merged_or_removed_meanwhile_cannot_be_merged_and_not_into_itself():
    assert refused(r.merge_themes, 2, 3, [3], 0, None) == "unknown_theme"
    assert refused(r.merge_themes, 2, 3, [], 0, None) == "unknown_theme"
    assert refused(r.merge_themes, 2, 2, [2], 0, None) == "bad_merge"


# -- additions: groups and endorsements ------------------------------------------------------------


def test_an_addition_merges_into_the_root_of_a_group_never_a_chain():
    root = AdditionRow(1, "shown")
    member = AdditionRow(2, "merged", 1)
    merge = r.merge_addition(AdditionRow(5, "shown"), member, children=[7, 6])
    assert (merge.root, merge.regroup, merge.write) == (1, (6, 7), True)
    assert merge.ack == {"ok": True, "into": 1, "moved": [6, 7]}
    assert r.merge_addition(AdditionRow(5, "pending"), root).root == 1


def test_merging_the_same_addition_twice_gives_the_same_answer_and_writes_nothing():
    again = r.merge_addition(AdditionRow(5, "merged", 1), AdditionRow(1, "shown"))
    assert (again.write, again.ack) == (False, {"ok": True, "into": 1, "moved": []})
    # Into another group than the one it is in: refused.
    assert refused(r.merge_addition, AdditionRow(5, "merged", 1), AdditionRow(3, "shown")) == "already_merged"


def test_an_addition_cannot_merge_into_its_own_group_or_after_promotion_or_when_gone():
    assert refused(r.merge_addition, AdditionRow(1, "shown"), AdditionRow(2, "merged", 1)) == "bad_merge"
    assert refused(r.merge_addition, AdditionRow(1, "shown"), AdditionRow(1, "shown")) == "bad_merge"
    assert (
        refused(r.merge_addition, AdditionRow(1, "promoted"), AdditionRow(2, "shown")) == "already_promoted"
    )
    assert refused(r.merge_addition, None, AdditionRow(2, "shown")) == "unknown_addition"
    assert refused(r.merge_addition, AdditionRow(1, "shown"), None) == "unknown_addition"


def test_an_endorsement_counts_for_the_shown_root_of_the_group():
    assert r.shown_root(AdditionRow(4, "shown"), None) == 4
    assert r.shown_root(AdditionRow(4, "merged", 1), AdditionRow(1, "shown")) == 1
    assert refused(r.shown_root, AdditionRow(4, "merged", 1), AdditionRow(1, "hidden")) == "not_shown"
    assert refused(r.shown_root, AdditionRow(4, "merged", 1), None) == "not_shown"  # its root is gone
    assert refused(r.shown_root, AdditionRow(4, "pending"), None) == "not_shown"
    assert refused(r.shown_root, None, None) == "unknown_addition"


# -- the host shapes the evening ------------------------------------------------------------------


def test_a_new_theme_gets_the_next_id_and_position():
    new = r.add_theme(active=3, next_id=5, next_position=4)
    assert (new.id, new.position, new.addition, new.write, new.ack) == (
        5,
        4,
        None,
        True,
        {"ok": True, "theme": 5},
    )


def test_promoting_an_addition_twice_gives_one_theme_and_the_same_answer():
    first = r.add_theme(3, 5, 4, addition=9, found=AdditionRow(9, "shown"))
    assert (first.write, first.addition, first.ack) == (True, 9, {"ok": True, "theme": 5})
    second = r.add_theme(4, 6, 5, addition=9, found=AdditionRow(9, "promoted"), made=5)
    assert (second.write, second.ack) == (False, {"ok": True, "theme": 5})


def test_an_addition_merged_meanwhile_or_gone_is_not_promoted():
    assert refused(r.add_theme, 3, 5, 4, addition=9, found=AdditionRow(9, "merged", 1)) == "already_merged"
    assert refused(r.add_theme, 3, 5, 4, addition=9, found=None) == "unknown_addition"


def test_no_theme_beyond_max_themes_not_even_a_second_promotion():
    assert r.add_theme(MAX_THEMES - 1, 99, 99).write
    assert refused(r.add_theme, MAX_THEMES, 99, 99) == "too_many_themes"
    assert refused(r.add_theme, MAX_THEMES, 99, 99, 9, AdditionRow(9, "promoted"), 5) == "too_many_themes"


def test_removing_a_theme_with_answers_asks_first_and_writes_nothing():
    asked = r.remove_theme(2, exists=True, others=2, answers=7, confirm=False, current_theme=None)
    assert (asked.write, asked.ack) == (False, {"ok": False, "error": "confirm_needed", "answers": 7})
    done = r.remove_theme(2, exists=True, others=2, answers=7, confirm=True, current_theme=2)
    assert (done.write, done.reset_pace, done.ack) == (True, True, {"ok": True})
    quiet = r.remove_theme(2, exists=True, others=2, answers=0, confirm=False, current_theme=1)
    assert (quiet.write, quiet.reset_pace) == (True, False)


def test_the_last_theme_stays_and_a_gone_theme_cannot_be_removed():
    assert refused(r.remove_theme, 2, True, 0, 0, True, None) == "last_theme"
    assert refused(r.remove_theme, 2, False, 2, 0, True, None) == "unknown_theme"
    # Asking first comes before the last-theme rule: the host hears about the answers.
    assert not r.remove_theme(2, True, 0, 3, False, None).write


def test_a_new_order_must_name_every_active_theme_once():
    assert r.order_themes([1, 2, 3], [3, 1, 2]) == [(1, 3), (2, 1), (3, 2)]
    assert refused(r.order_themes, [1, 2, 3], [3, 1]) == "bad_order"
    assert refused(r.order_themes, [1, 2], [1, 2, 4]) == "bad_order"


def test_hiding_or_revealing_all_results_clears_the_per_theme_list():
    assert r.set_results(False, {1, 2}, [1, 2, 3], None, True) == (True, frozenset())
    assert r.set_results(True, set(), [1, 2, 3], None, False) == (False, frozenset())


def test_revealing_one_theme_while_all_are_hidden_keeps_the_others_and_the_whole_hidden():
    assert r.set_results(True, set(), [1, 2, 3], 2, False) == (False, frozenset({0, 1, 3}))
    # Hiding one while all are hidden changes nothing visible: it is added to the list.
    assert r.set_results(True, set(), [1, 2, 3], 2, True) == (True, frozenset({2}))
    assert r.set_results(False, {1}, [1, 2], 2, True) == (False, frozenset({1, 2}))
    assert r.set_results(False, {1, 2}, [1, 2], 1, False) == (False, frozenset({2}))


def test_a_card_note_is_changed_by_its_writer_or_the_host():
    assert r.note_fields(7, 0, (2, "how", 7)) == (2, "how")
    assert r.note_fields(0, 0, (2, "how", 7)) == (2, "how")
    assert refused(r.note_fields, 8, 0, (2, "how", 7)) == "not_yours"
    assert refused(r.note_fields, 8, 0, None) == "unknown_note"


# -- retention ---------------------------------------------------------------------------------


def test_a_meeting_is_erased_at_the_start_of_its_day_plus_its_retention():
    day = calendar.timegm((2030, 3, 12, 0, 0, 0))
    assert r.erasure_due("2030-03-12", 5, 90, created_at=1.0) == day + 5 * 86400
    assert r.erasure_due("2030-03-12", None, 90, created_at=1.0) == day + 90 * 86400
    assert r.erasure_due("2030-03-12", 0, 90) == day  # 0 days: at the next run


def test_a_day_that_cannot_be_read_counts_from_the_creation_never_never():
    for held_on in ("", "12 maart", "2030-02-30", "20300312", None):
        assert r.erasure_due(held_on, 1, 90, created_at=1000.0) == 1000.0 + 86400
    assert r.erasure_due("12 maart", 1, 90) is None


def test_the_erase_day_is_the_day_plus_the_retention_or_nothing():
    assert r.erase_day("2026-01-10", 30) == "2026-02-09"
    assert r.erase_day("2026-12-31", 1) == "2027-01-01"
    assert r.erase_day("12 maart", 30) == ""
    assert r.erase_day("", 30) == ""


def test_a_group_of_merged_additions_stands_for_its_root_and_each_merged_into_it():
    merged = [{"id": 2, "merged_into": 1}, {"id": 3, "merged_into": 1}, {"id": 5, "merged_into": 4}]
    assert r.mentions(merged) == {1: 3, 4: 2}
    assert r.mentions([]) == {}
