"""Hypothesis strategies for the odd values a dishonest client sends (test_fuzz, test_attacks)."""

from hypothesis import strategies as st

BIG_INTS = st.sampled_from([2**70, -(2**70), 2**63, 2**63 - 1, -(2**63) - 1, 10**40, -1, 0])
LONE_SURROGATES = st.sampled_from(["\ud800", "a\udfffb", "\udbff\udc00\udc00", "\udc80"])
ODD_TEXT = st.sampled_from(
    ["", " ", "x" * 600, "1", "1.0", "²", "١٢", "0x10", "-1", "1e3", "yes", "lead", "results",
     "a@b.nl", "0612345678", "+31612345678", "null", "true", "\x00", "<b>", "\u202e", "e\u0301" * 9]
)  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    BIG_INTS,
    st.floats(),
    st.text(max_size=40),
    ODD_TEXT,
    LONE_SURROGATES,
)
