"""The one place for people-facing strings that code (not templates) needs: Dutch, B1 level.

Error slugs are the stable codes programs see; ``ERRORS`` holds the sentence a person reads.
"""

from live.meeting import MAX_ADDITION

PHASE_LABELS = {
    "lobby": "Welkom",
    "recognition": "Herkenning",
    "break": "Pauze",
    "topics": "Onderwerp kiezen",
    "pledges": "Meehelpen",
    "results": "Uitkomsten",
}

ANSWER_LABELS = {"yes": "Ja", "partly": "Deels", "no": "Nee"}

ROLE_LABELS = {
    "lead": "Trekker: ik wil het mee organiseren",
    "member": "Meedoen: ik doe mee",
    "occasional": "Af en toe: ik help als het uitkomt",
}

ROLE_SHORT = {"lead": "Trekker", "member": "Meedoen", "occasional": "Af en toe"}

ERRORS = {
    "bad_payload": "Dit bericht klopt niet. Probeer het opnieuw.",
    "too_large": "Dit is te veel tekst in één keer. Maak het korter en probeer het opnieuw.",
    "bad_id": "Dit bericht klopt niet. Probeer het opnieuw.",
    "unknown_theme": "Dit onderwerp bestaat niet.",
    "unknown_addition": "Deze aanvulling bestaat niet.",
    "unknown_meeting": "Deze bijeenkomst bestaat niet. Kijk of de code klopt.",
    "unknown_event": "Dit kan hier niet.",
    "wrong_phase": "Dat kan nu niet. De gespreksleider is al verder.",
    "bad_answer": "Kies ja, deels of nee.",
    "bad_phase": "Dit onderdeel bestaat niet.",
    "bad_role": "Kies hoe u wilt helpen.",
    "theme_required": "Kies een onderwerp.",
    "bad_key": "Deze link klopt niet. Vraag de gespreksleider om de goede link.",
    "text_empty": "U heeft nog niets ingevuld.",
    "text_too_long": "De tekst is te lang. Maak hem korter.",
    "name_required": "Vul uw naam in.",
    "contact_required": "Vul een e-mailadres of telefoonnummer in.",
    "bad_email": "Dit e-mailadres klopt niet.",
    "bad_phone": "Dit telefoonnummer klopt niet.",
    "consent_required": "Zet een vinkje als u akkoord bent.",
    "themes_required": "Vul minstens één thema in.",
    "too_many_themes": "Dat zijn te veel thema's. Houd het bij 40.",
    "organiser_key_required": (
        "Het wachtwoord voor organisatoren ontbreekt of klopt niet."
        " U krijgt het van de beheerder van deze website."
    ),
    "storage_full": (
        "De bijeenkomst is niet opgeslagen: er is geen ruimte meer op de server."
        " Probeer het later opnieuw of meld het aan de beheerder."
    ),
    "not_host": "Alleen de gespreksleider kan dit doen.",
    "bad_order": "Er is net een thema bijgekomen of weggegaan. Probeer het opnieuw.",
    "bad_pace": "Kies: alle thema's tegelijk, of één thema per keer.",
    "bad_count": "Vul een heel getal in, van 0 tot 100.000.",
    "last_theme": "Er moet minstens één thema blijven.",
    "theme_full": "Dit onderwerp is vol. Kies een ander onderwerp.",
    "choices_locked": "Kiezen kan niet meer. Vraag de gespreksleider als u wilt wisselen.",
    "bad_field": "Dit vak bestaat niet op de kaart.",
    "unknown_note": "Dit briefje bestaat niet meer.",
    "not_yours": "U kunt alleen uw eigen briefjes veranderen.",
    "bad_contact_by": "Kies hoe we u mogen bereiken: via e-mail of telefoon. Vul dat dan ook in.",
    "bad_capacity": "Vul een heel getal in (1 of meer), of laat het leeg.",
    "bad_table": "Vul maximaal 10 tafels in.",
    "bad_merge": "Kies twee verschillende thema's om samen te voegen.",
    "confirm_needed": "Bij dit thema zijn al antwoorden. Weet u zeker dat u het wilt weghalen?",
    "not_phone": "Dit kan alleen op een telefoon van een deelnemer.",
    "rate_limited": "Het is even druk. Probeer het over een minuut opnieuw.",
    "server_error": "Er ging iets mis. Probeer het opnieuw.",
    "offline": "Geen verbinding. We proberen het opnieuw.",
}

# What the connection line at the top of a screen says.
CONNECTION = {
    "ok": "Verbonden",
    # A refusal that passes (rate_limited, server_error): the page tries again by itself.
    "busy": "Het is even druk. We proberen het zo weer.",
}

# What a phone says about one action. "Saving" also covers the retries after a passing refusal.
PHONE = {
    "saving": "Wordt opgeslagen…",
    "saved": "Opgeslagen ✓",
    "addition_sent": "Dank u! Uw aanvulling is verstuurd.",
    "pledged": "U helpt mee. Dank u wel! U kunt uw gegevens nog aanpassen.",
    "fix_fields": "Er klopt nog iets niet. Kijk bij de rode tekst.",
    "new_part": "Nieuw onderdeel:",
    "too_long": "De tekst is te lang. Haal er {n} {word} af.",
}

# The host screen's panel with the host link (keep_link.js); the rest of it is in host.html.
HOST_LINK = {
    "show": "Link tonen",
    "close": "Sluiten",
    "copied": "De link is gekopieerd. Plak hem in een e-mail aan uzelf of in uw notities.",
    "copy_failed": "Kopiëren lukte niet. De link is nu geselecteerd: kopieer hem zelf.",
}

# Words after a number, by the number's plural category ("one" or "other", as Intl.PluralRules
# says for Dutch). The templates take their first words from here too, so both say the same.
COUNT_WORDS = {
    "participants": {"one": "telefoon doet mee", "other": "telefoons doen mee"},
    "chosen": {"one": "persoon koos dit", "other": "mensen kozen dit"},
    "pledged": {"one": "helpt mee", "other": "helpen mee"},
    "chars": {"one": "teken", "other": "tekens"},
    "chars_left": {"one": "teken over", "other": "tekens over"},
    "chars_over": {"one": "teken te veel", "other": "tekens te veel"},
    # The beamer while results are hidden, and the raised hands within a count.
    "answered": {"one": "persoon heeft geantwoord", "other": "mensen hebben geantwoord"},
    "hands": {"one": "hand", "other": "handen"},
}

# The beamer (projector.js): read from the back of a village hall, so short and plain.
PROJECTOR = {
    "whole": "Herkent u zich in het geheel?",
    "themes_page": "Thema's {first}-{last} van {total}",
    "theme_page": "Thema {first} van {total}",
    "whole_page": "Het geheel",
    "additions_page": "Aanvullingen {page} van {pages}",
    "of_hands": "waarvan {n} {word}",
    "places": "van {n} plaatsen",
    "full": "Vol",
    "nobody": "Nog niemand",
    "table": "Tafel:",
    "tables": "Tafels:",
    "volunteers": "Helpen mee:",
    "no_lead": "Nog geen trekker: wie wil?",
    "chosen": "Gekozen door",
    "more_notes": "en {n} meer",
    # The subgroup card's fields, short: the beamer shows a few notes of each.
    "card_fields": {"how": "Aanpak", "needs": "Nodig", "lead": "Wie trekt", "first_step": "Eerste stap"},
    "contrast": "Hoog contrast",
}


def count_words(key: str, n: int) -> str:
    """The words that follow the number n, singular for 1 and plural otherwise (Dutch)."""
    return COUNT_WORDS[key]["one" if n == 1 else "other"]


# Where making a meeting needs other words than the general sentence for a slug.
CREATE_ERRORS = {
    "rate_limited": "Vanaf dit adres zijn te veel bijeenkomsten gemaakt. Probeer het later opnieuw.",
    "server_error": "Er ging iets mis. De bijeenkomst is niet opgeslagen. Probeer het later opnieuw.",
}


def error_text(slug: str) -> str:
    """The Dutch sentence for an error slug."""
    return ERRORS.get(slug, ERRORS["server_error"])


def create_error_text(slug: str) -> str:
    """The Dutch sentence for an error slug when making a meeting."""
    return CREATE_ERRORS.get(slug) or error_text(slug)


def consent_text(retention_days: int) -> str:
    """The consent sentence for a pledge: who sees the details, and for how long."""
    return (
        "Ik vind het goed dat de kopgroep van deze avond mijn naam en contactgegevens ziet "
        "en doorgeeft aan de werkgroep van dit onderwerp. "
        f"Na {retention_days} dagen worden ze hier gewist."
    )


def client_texts(retention_days: int) -> dict:
    """The strings the browser scripts need, handed over as JSON."""
    return {
        "errors": ERRORS,
        "phases": PHASE_LABELS,
        "answers": ANSWER_LABELS,
        "roles": ROLE_LABELS,
        "roles_short": ROLE_SHORT,
        "consent": consent_text(retention_days),
        "connection": CONNECTION,
        "phone": PHONE,
        "counts": COUNT_WORDS,
        "host_link": HOST_LINK,
        "projector": PROJECTOR,
        # Not words, but the pages need them next to the words (the counter under an addition).
        "limits": {"addition": MAX_ADDITION},
    }
