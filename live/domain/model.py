"""The method's vocabulary: phases, answers, limits, and the Meeting and Theme records."""

from __future__ import annotations

from dataclasses import dataclass, field

PHASES = ("lobby", "recognition", "break", "topics", "pledges", "results")
ANSWERS = ("yes", "partly", "no")
ROLES = ("lead", "member", "occasional")

# Which phases accept which attendee action. Recognition answers may still come in during the
# break (people finish on their phone with a coffee); a choice may change while pledging.
ACTION_PHASES = {
    "vote": ("recognition", "break"),
    "addition": ("recognition", "break"),
    "choose": ("topics", "pledges"),
    "pledge": ("pledges", "results"),
    "withdraw": ("pledges", "results"),
    # The subgroup card is written at the tables, after the topic is chosen, until people go home.
    "note": ("topics", "pledges", "results"),
    "edit_note": ("topics", "pledges", "results"),
    "remove_note": ("topics", "pledges", "results"),
    # "Dat herken ik ook" on a shown addition: while additions are asked for.
    "endorse": ("recognition", "break"),
}


MAX_TITLE = 120
MAX_DESCRIPTION = 400
MAX_THEMES = 40
MAX_ADDITION = 500
MAX_NAME = 80
MAX_NOTE = 280
MAX_PLACE = 80
MAX_TABLES = 10
MAX_CAPACITY = 10_000
# The hall's Wi-Fi: an SSID is at most 32 bytes, a WPA passphrase at most 63 characters.
MAX_WIFI_NAME = 32
MAX_WIFI_PASSWORD = 63
# The subgroup card: "Hoe kunnen we dit realiseren?", "Wat is er nodig?", "Wie neemt het
# voortouw?", "Wat is de eerste stap, en wanneer?".
NOTE_FIELDS = ("how", "needs", "lead", "first_step")
CONTACT_CHANNELS = ("email", "phone")


class Refused(Exception):
    """An action refused with a stable English slug (``wrong_phase``, ``not_host``, ...)."""

    def __init__(self, slug: str):
        super().__init__(slug)
        self.slug = slug


# How the beamer goes through the themes, in every phase: all of them with its own pages turning
# ("all"), one theme at a time ("one", current_theme), or all of them held still on the screen
# that shows current_theme ("hold": the host pressed pause, or stepped to a screen).
PACES = ("all", "one", "hold")
MAX_COUNT = 100_000
# Theme id 0 is the analysis as a whole ("Herkent u zich in het geheel?"): it takes recognition
# answers, hand counts and additions, but is never chosen or pledged for.
WHOLE = 0


@dataclass(frozen=True)
class Theme:
    """One outcome of the analysis, shown on every screen."""

    id: int
    title: str
    description: str = ""
    # The addition this theme was made from, if the host promoted one.
    from_addition: int | None = None
    # Where its subgroup sits after the break (one or more tables), and how many fit (None: no limit).
    tables: tuple = ()
    capacity: int | None = None

    def to_dict(self) -> dict:
        """The public form used in the protocol."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "from_addition": self.from_addition,
            "tables": list(self.tables),
            "capacity": self.capacity,
        }


@dataclass
class Meeting:
    """A meeting as the store returns it; key hashes never leave the server."""

    code: str
    title: str
    place: str
    date: str
    phase: str
    version: int
    themes: list[Theme] = field(default_factory=list)
    host_key_hash: str = ""
    projector_key_hash: str = ""
    # Empty for meetings made before helper screens existed: only the host key opens theirs.
    helper_key_hash: str = ""
    created_at: float = 0.0
    # The beamer: one theme at a time ("one", with current_theme), all at once with its pages
    # turning ("all"), or all at once held on the screen that shows current_theme ("hold").
    pace: str = "all"
    current_theme: int | None = None
    # Results (the yes/partly/no split) kept off the beamer: for every theme (the host reveals
    # them with one press), or for these theme ids.
    results_hidden: bool = False
    hidden_themes: frozenset = frozenset()
    # The host closed the topic choice: nobody chooses or changes any more.
    choices_locked: bool = False
    # Themes merged into another (old id -> new id): their choosers moved along.
    merged: dict = field(default_factory=dict)
    # The hall's Wi-Fi for the beamer's welcome ("" when none); never sent to phones or helpers.
    wifi_name: str = ""
    wifi_password: str = ""
    # The host brought the welcome (Wi-Fi and join QR code) back on the beamer after the lobby.
    welcome: bool = False
    # "avond" (the evening) or "terugkom" (a terugkombijeenkomst made from evenings: step 5).
    kind: str = "avond"
    # A terugkombijeenkomst: the group presenting now (a theme id), or None.
    presenting: int | None = None

    def theme(self, theme_id, whole: bool = False) -> Theme:
        """The theme with this id, or ``unknown_theme``; with ``whole``, id 0 (the analysis as a
        whole) is accepted too."""
        if isinstance(theme_id, bool) or not isinstance(theme_id, int):
            raise Refused("unknown_theme")
        if whole and theme_id == WHOLE:
            return Theme(WHOLE, "")
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise Refused("unknown_theme")

    def results_shown(self, theme_id: int) -> bool:
        """Whether the beamer may show this theme's yes/partly/no split."""
        return not self.results_hidden and theme_id not in self.hidden_themes


# Where a participant's answers came from: their own phone, a paper form typed in by a helper,
# or a helper's device handed to them. Raised hands are not participants (see manual counts).
ORIGINS = ("phone", "paper", "helper")
# Shown additions one form may say its person recognises ("Dat herken ik ook").
MAX_ENDORSE = 100
FORM_ORIGINS = ("paper", "helper")
