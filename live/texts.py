"""The one place for people-facing strings that code (not templates) needs: Dutch, B1 level.

Error slugs are the stable codes programs see; ``ERRORS`` holds the sentence a person reads.
"""

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
    "not_host": "Alleen de gespreksleider kan dit doen.",
    "not_phone": "Dit kan alleen op een telefoon van een deelnemer.",
    "rate_limited": "Even rustig aan. Probeer het over een minuut opnieuw.",
    "server_error": "Er ging iets mis. Probeer het opnieuw.",
    "offline": "Geen verbinding. We proberen het opnieuw.",
}


def error_text(slug: str) -> str:
    """The Dutch sentence for an error slug."""
    return ERRORS.get(slug, ERRORS["server_error"])


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
    }
