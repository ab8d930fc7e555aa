"""The meeting rules, without a server."""

import subprocess
import sys

import pytest

from live import domain as m
from live.domain import Refused


def make(phase="recognition"):
    return m.Meeting(
        code="ACDEF",
        title="Dorpsavond",
        place="",
        date="",
        phase=phase,
        version=1,
        themes=m.parse_themes(["Groen", "Verkeer"]),
    )


def refused(fn, *args):
    with pytest.raises(Refused) as err:
        fn(*args)
    return err.value.slug


def test_the_domain_imports_no_framework_or_store():
    code = (
        # Every module of the package, rules included (``live.domain`` itself does not import it).
        "import sys, importlib, pkgutil, live.domain;"
        " [importlib.import_module('live.domain.' + m.name)"
        "  for m in pkgutil.iter_modules(live.domain.__path__)];"
        " assert 'live.domain.rules' in sys.modules;"
        " bad = {'flask', 'flask_socketio', 'socketio', 'sqlite3', 'redis',"
        " 'eventlet', 'socket', 'ssl', 'select', 'asyncio', 'dns', 'http', 'live.store', 'live.service'}"
        " & set(sys.modules); print(sorted(bad)); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_codes_are_short_and_have_no_look_alikes():
    codes = {m.new_code() for _ in range(500)}
    assert all(len(c) == 5 for c in codes)
    assert not set("".join(codes)) & set("0O1IL2Z5S8B")
    assert len(codes) > 490


def test_a_typed_code_is_case_insensitive_and_trimmed():
    assert m.normalise_code(" acdef ") == "ACDEF"
    assert m.normalise_code("AC0EF") is None
    assert m.normalise_code("AB") is None
    assert m.normalise_code(None) is None


def test_keys_carry_at_least_128_random_bits_and_match_only_their_hash():
    key = m.new_key()
    assert len(key) >= 32
    stored = m.hash_secret(key)
    assert key not in stored
    assert m.secret_matches(key, stored)
    assert not m.secret_matches(key + "x", stored)
    assert not m.secret_matches(None, stored)


def test_the_projector_key_is_derived_but_differs_per_meeting_and_from_the_host_key():
    key = m.new_key()
    a, b = m.projector_key_for(key, "ACDEF"), m.projector_key_for(key, "ACDEG")
    assert a != b and a != key and len(a) >= 22
    assert a == m.projector_key_for(key, "ACDEF")


def test_themes_come_from_lines_with_an_optional_description():
    themes = m.parse_themes("Groen: meer bomen\n\n  Verkeer  \n")
    assert [(t.id, t.title, t.description) for t in themes] == [
        (1, "Groen", "meer bomen"),
        (2, "Verkeer", ""),
    ]


def test_themes_from_json_accept_strings_and_objects():
    themes = m.parse_themes(["A", {"title": "B", "description": "uitleg"}])
    assert themes[1] == m.Theme(2, "B", "uitleg")


@pytest.mark.parametrize(
    "raw, slug",
    [
        ([], "themes_required"),
        (None, "themes_required"),
        ([""], "text_empty"),
        ([5], "bad_payload"),
        (["x" * 121], "text_too_long"),
        (["t"] * 41, "too_many_themes"),
    ],
)
def test_bad_themes_are_refused(raw, slug):
    assert refused(m.parse_themes, raw) == slug


def test_text_loses_bidi_overrides_and_zero_width_characters():
    assert m.clean_text("a\u202eb\u200bc", 10) == "abc"
    assert m.clean_text("  regel 1\n\n\n\nregel 2 ", 50, multiline=True) == "regel 1\n\nregel 2"


# Text a bored attendee types to look empty: spaces, invisible characters and Hangul fillers,
# a lone mark or variation selector, the braille blank. Each is refused like empty text.
INVISIBLE = [
    "\u200b\u2060\ufeff\u00ad",
    "\u3164",
    "\u115f\u1160",
    "\uffa0 \u3000 \u00a0",
    "\u2800\u2800",
    "\u034f",
    "\ufe0f\ufe0f",
    "\u2028\u2029",
    "\u0301" * 3,
]


@pytest.mark.parametrize("text", INVISIBLE)
def test_text_that_shows_nothing_is_refused_like_empty_text(text):
    meeting = make()
    assert refused(m.check_addition, meeting, {"theme": 1, "text": text}) == "text_empty"
    assert refused(m.check_pledge, make("pledges"), pledge(name=text)) == "name_required"
    assert refused(m.parse_themes, [text]) == "text_empty"


def test_hangul_fillers_become_spaces_and_visible_text_keeps_its_marks_and_emoji():
    assert m.clean_text("Jan\u3164de\u3164Vries", 50) == "Jan de Vries"
    assert m.clean_text("\u2800 kijk", 50) == "\u2800 kijk"
    assert m.clean_text("\u2764\ufe0f \U0001f44d\U0001f3fd \U0001f1f3\U0001f1f1", 50) == (
        "\u2764\ufe0f \U0001f44d\U0001f3fd \U0001f1f3\U0001f1f1"
    )


def test_joiners_stay_where_they_join_and_go_everywhere_else():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    rainbow = "\U0001f3f3\ufe0f\u200d\U0001f308"
    coder = "\U0001f469\U0001f3fd\u200d\U0001f4bb"
    assert m.clean_text(f"{family} {rainbow} {coder}", 50) == f"{family} {rainbow} {coder}"
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "I want", spelled with a non-joiner
    assert m.clean_text(persian, 50) == persian
    # Between letters the joiner, and anywhere else either of them, only hides something.
    assert m.clean_text("Ja\u200dn \u200c\u200dx \U0001f468\u200d", 50) == "Jan x \U0001f468"
    assert refused(m.check_addition, make(), {"theme": 1, "text": "\u200d\u200c\u200d"}) == "text_empty"


def test_an_addition_takes_at_most_ten_lines_and_loses_no_word():
    many = "\n".join(f"r{i}" for i in range(20))
    text = m.clean_text(many, 500, multiline=True)
    assert text.count("\n") == m.MAX_LINES - 1
    assert text.split() == many.split()
    # Lines of spaces between lines are empty lines, and empty lines never come two in a row.
    assert m.clean_text("x" + "\n \n" * 100 + "y", 500, multiline=True) == "x\n\ny"
    assert m.clean_text("a\u2028b\u2029c", 50, multiline=True) == "a\nb\nc"
    assert m.clean_text("a\u2028b", 50) == "a b"


def test_a_vote_needs_a_known_theme_a_valid_answer_and_the_right_phase():
    meeting = make()
    assert m.check_vote(meeting, {"theme": 1, "answer": "partly"}) == {"theme": 1, "answer": "partly"}
    assert refused(m.check_vote, meeting, {"theme": 9, "answer": "yes"}) == "unknown_theme"
    assert refused(m.check_vote, meeting, {"theme": "1", "answer": "yes"}) == "unknown_theme"
    assert refused(m.check_vote, meeting, {"theme": True, "answer": "yes"}) == "unknown_theme"
    assert refused(m.check_vote, meeting, {"theme": 1, "answer": "maybe"}) == "bad_answer"
    assert refused(m.check_vote, make("lobby"), {"theme": 1, "answer": "yes"}) == "wrong_phase"
    assert m.check_vote(make("break"), {"theme": 2, "answer": "no"})["answer"] == "no"


def test_a_choice_is_only_taken_after_the_break():
    assert m.check_choice(make("topics"), {"theme": 2}) == {"theme": 2}
    assert refused(m.check_choice, make("recognition"), {"theme": 2}) == "wrong_phase"


def test_an_addition_is_bounded_text():
    meeting = make()
    assert m.check_addition(meeting, {"theme": 1, "text": " meer bankjes "})["text"] == "meer bankjes"
    assert refused(m.check_addition, meeting, {"theme": 1, "text": "   "}) == "text_empty"
    assert refused(m.check_addition, meeting, {"theme": 1, "text": "x" * 501}) == "text_too_long"
    assert refused(m.check_addition, meeting, {"theme": 1, "text": ["x"]}) == "bad_payload"


def pledge(**over):
    base = {"theme": 1, "role": "member", "name": "Anna", "email": "anna@example.nl", "consent": True}
    return {**base, **over}


def test_a_pledge_normalises_a_dutch_phone_number_to_international_form():
    data = m.check_pledge(make("pledges"), pledge(email=None, phone="06 12345678"))
    assert data["phone"] == "+31612345678" and data["email"] == ""


@pytest.mark.parametrize(
    "over, slug",
    [
        ({"consent": False}, "consent_required"),
        ({"consent": "true"}, "consent_required"),
        ({"role": "boss"}, "bad_role"),
        ({"name": "  "}, "name_required"),
        ({"name": "x" * 81}, "text_too_long"),
        ({"email": None}, "contact_required"),
        ({"email": "geen-adres"}, "bad_email"),
        ({"email": None, "phone": "12"}, "bad_phone"),
        ({"theme": 7}, "unknown_theme"),
    ],
)
def test_a_bad_pledge_is_refused_with_its_reason(over, slug):
    assert refused(m.check_pledge, make("pledges"), pledge(**over)) == slug


def test_a_pledge_outside_the_pledge_phases_is_refused():
    assert refused(m.check_pledge, make("topics"), pledge()) == "wrong_phase"
    assert m.check_pledge(make("results"), pledge())["name"] == "Anna"


@pytest.mark.parametrize(
    "payload", [None, [], "x", {"id": None}, {"id": ""}, {"id": "x" * 65}, {"id": True}, {"id": 1.5}]
)
def test_every_payload_needs_a_usable_message_id(payload):
    assert refused(m.message_id, payload) in ("bad_payload", "bad_id")


def test_the_host_may_go_to_any_phase_but_no_other():
    assert all(m.check_phase({"phase": p}) == p for p in m.PHASES)
    assert refused(m.check_phase, {"phase": "party"}) == "bad_phase"


def test_a_participant_token_must_look_like_one_the_server_hands_out():
    assert m.valid_token(m.new_key())
    assert not m.valid_token("short")
    assert not m.valid_token("x" * 22 + "<")
    assert not m.valid_token(12345)


ROLES0 = {"lead": 0, "member": 0, "occasional": 0}


def test_hidden_results_leave_only_how_many_answered_for_the_beamer():
    meeting = m.Meeting("ACDEF", "A", "", "", "recognition", 1, [m.Theme(1, "x"), m.Theme(2, "y")])
    counts = {
        "themes": [{"theme": 1, "yes": 2, "partly": 0, "no": 1, "chosen": 0, "pledged": 0}],
        "hands": [{"theme": 1, "answer": "yes", "count": 4}],
    }
    meeting.hidden_themes = frozenset({1})
    whole, one, two = m.for_projector(m.tally_rows(meeting, counts))
    assert one == {"theme": 1, "answered": 7, "chosen": 0, "pledged": 0, "roles": ROLES0, "hidden": True}
    assert two["yes"] == 0 and not two["hidden"] and not whole["hidden"]
    meeting.results_hidden = True
    assert all(
        set(r) == {"theme", "answered", "chosen", "pledged", "roles", "hidden"}
        for r in m.for_projector(m.tally_rows(meeting, counts))
    )


def test_a_hand_count_is_a_whole_number_up_to_a_hundred_thousand():
    meeting = m.Meeting("ACDEF", "A", "", "", "recognition", 1, [m.Theme(1, "x")])
    assert m.check_manual_count(meeting, {"theme": 1, "answer": "no", "count": 100_000})["count"] == 100_000
    for bad in (-1, 100_001, 2.0, True, "3", None):
        with pytest.raises(m.Refused, match="bad_count"):
            m.check_manual_count(meeting, {"theme": 1, "answer": "no", "count": bad})
