"""The one place for people-facing strings that code (not templates) needs: Dutch, B1 level.

Error slugs are the stable codes programs see; ``ERRORS`` holds the sentence a person reads.

The Dutch text is the source. Strings the phone and the helper screen show are marked ``N_`` (one
string) or ``NP_`` (words after a number: singular and plural) so ``make translations`` collects
them into the catalogues (docs/translations.md); they stay plain Dutch here, for the exports and the
host and beamer, which are Dutch. ``client_texts`` translates them into the request's language.
"""

from babel import Locale
from flask_babel import get_locale, gettext, ngettext

from live.domain import MAX_ADDITION, MAX_NOTE


def N_(text: str) -> str:
    """Mark a string for the catalogues; it is translated where it is used (``tr``)."""
    return text


def NP_(one: str, other: str) -> dict:
    """Mark the words after a number (Dutch singular and plural) for the catalogues."""
    return {"one": one, "other": other}


PHASE_LABELS = {
    "lobby": N_("Welkom"),
    "recognition": N_("Herkenning"),
    "break": N_("Pauze"),
    "topics": N_("Onderwerp kiezen"),
    "pledges": N_("Meehelpen"),
    "results": N_("Uitkomsten"),
}

ANSWER_LABELS = {"yes": N_("Ja"), "partly": N_("Deels"), "no": N_("Nee")}

ROLE_LABELS = {
    "lead": N_("Trekker: ik wil het mee organiseren"),
    "member": N_("Meedoen: ik doe mee"),
    "occasional": N_("Af en toe: ik help als het uitkomt"),
}

ROLE_SHORT = {"lead": N_("Trekker"), "member": N_("Meedoen"), "occasional": N_("Af en toe")}

ERRORS = {
    "bad_payload": N_("Dit bericht klopt niet. Probeer het opnieuw."),
    "too_large": N_("Dit is te veel tekst in één keer. Maak het korter en probeer het opnieuw."),
    "bad_id": N_("Dit bericht klopt niet. Probeer het opnieuw."),
    "bad_date": N_("Vul een datum in, zoals 2026-03-12."),
    "unknown_theme": N_("Dit onderwerp bestaat niet."),
    "unknown_addition": N_("Deze aanvulling bestaat niet."),
    "not_shown": N_("Deze aanvulling staat niet meer op het scherm."),
    "unknown_meeting": N_("Deze bijeenkomst bestaat niet. Kijk of de code klopt."),
    "unknown_event": N_("Dit kan hier niet."),
    "wrong_phase": N_("Dat kan nu niet. De gespreksleider is al verder."),
    "bad_answer": N_("Kies ja, deels of nee."),
    "bad_phase": N_("Dit onderdeel bestaat niet."),
    "bad_role": N_("Kies hoe u wilt helpen."),
    "theme_required": N_("Kies een onderwerp."),
    "bad_key": N_("Deze link klopt niet. Vraag de gespreksleider om de goede link."),
    "text_empty": N_("U heeft nog niets ingevuld."),
    "text_too_long": N_("De tekst is te lang. Maak hem korter."),
    "name_required": N_("Vul uw naam in."),
    "contact_required": N_("Vul een e-mailadres of telefoonnummer in."),
    "bad_email": N_("Dit e-mailadres klopt niet."),
    "bad_phone": N_("Dit telefoonnummer klopt niet."),
    "consent_required": N_("Zet een vinkje als u akkoord bent."),
    "themes_required": N_("Vul minstens één thema in."),
    "too_many_themes": N_("Dat zijn te veel thema's. Houd het bij 40."),
    "organiser_key_required": N_(
        "Het wachtwoord voor organisatoren ontbreekt of klopt niet."
        " U krijgt het van de beheerder van deze website."
    ),
    "storage_full": N_(
        "De bijeenkomst is niet opgeslagen: er is geen ruimte meer op de server."
        " Probeer het later opnieuw of meld het aan de beheerder."
    ),
    "not_host": N_("Alleen de gespreksleider kan dit doen."),
    "bad_order": N_("Er is net een thema bijgekomen of weggegaan. Probeer het opnieuw."),
    "bad_pace": N_("Kies: alle thema's tegelijk, of één thema per keer."),
    "bad_count": N_("Vul een heel getal in, van 0 tot 100.000."),
    "last_theme": N_("Er moet minstens één thema blijven."),
    "theme_full": N_("Dit onderwerp is vol. Kies een ander onderwerp."),
    "choices_locked": N_("Kiezen kan niet meer. Vraag de gespreksleider als u wilt wisselen."),
    "bad_field": N_("Dit vak bestaat niet op de kaart."),
    "unknown_note": N_("Dit briefje bestaat niet meer."),
    "not_yours": N_("U kunt alleen uw eigen briefjes veranderen."),
    "bad_contact_by": N_("Kies hoe we u mogen bereiken: via e-mail of telefoon. Vul dat dan ook in."),
    "bad_capacity": N_("Vul een heel getal in (1 of meer), of laat het leeg."),
    "bad_table": N_("Vul maximaal 10 tafels in."),
    "bad_merge": N_(
        "Dit kan niet samen. Kies een ander thema of een andere aanvulling om mee samen te voegen."
    ),
    "already_merged": N_("Deze aanvulling is al samengevoegd met een andere."),
    "already_promoted": N_("Van deze aanvulling is al een thema gemaakt."),
    "confirm_needed": N_("Bij dit thema zijn al antwoorden. Weet u zeker dat u het wilt weghalen?"),
    "not_phone": N_("Dit kan alleen op een telefoon van een deelnemer."),
    "rate_limited": N_("Het is even druk. Probeer het over een minuut opnieuw."),
    "server_error": N_("Er ging iets mis. Probeer het opnieuw."),
    "store_unavailable": N_("Opslaan lukt even niet. Er is niets verloren. We proberen het zo opnieuw."),
    "offline": N_("Geen verbinding. We proberen het opnieuw."),
    # The helper screen (paper forms, a shared device).
    "bad_origin": N_("Kies: papier invoeren of iemand helpen."),
    "form_empty": N_("Dit formulier is nog leeg. Vul minstens één antwoord in."),
    "duplicate_pledge": N_("Bij dit onderwerp staat al een aanmelding op dit formulier."),
    "not_helper": N_("Dit kan alleen op het scherm voor helpers."),
    "not_projector": N_("Dit kan alleen het beamer-scherm doen."),
    # The hall's Wi-Fi (creating a meeting, set_wifi on the host screen).
    "wifi_name_too_long": N_("De naam van de wifi is te lang. Gebruik hoogstens 32 tekens."),
    "wifi_password_too_long": N_("Het wachtwoord van de wifi is te lang. Gebruik hoogstens 63 tekens."),
    # A terugkombijeenkomst (step 5): tops and questions, agreements, the groups' own links.
    "wrong_kind": N_("Dat hoort bij een ander soort bijeenkomst."),
    "bad_kind": N_("Kies: een tip (top) of een vraag."),
    "not_group": N_("Dit kan alleen op de pagina van een werkgroep."),
    "not_your_group": N_("U kunt alleen het plan van uw eigen werkgroep veranderen."),
    "unknown_group": N_("Deze werkgroep bestaat niet."),
    "bad_status": N_("Kies: loopt, loopt vast of vraagt hulp."),
    "bad_themes": N_("Kies bij welke werkgroep of werkgroepen deze afspraak hoort."),
    "unknown_agreement": N_("Deze afspraak bestaat niet meer."),
    "too_many_agreements": N_("Dat zijn te veel afspraken. Haal er eerst een paar weg."),
}

# A terugkombijeenkomst (step 5): the phases, the plan's fields, the call list and what phones send.
# The group page, the host and the beamer are Dutch; the phone's words are in PHONE (translated).
FOLLOW_UP_PHASE_LABELS = {
    "lobby": N_("Welkom"),
    "presentations": N_("Presentaties"),
    "agreements": N_("Afspraken"),
    "results": N_("Uitkomsten"),
}
PLAN_LABELS = {
    "goal": "Wat willen we bereiken?",
    "actions": "Wat gaan we doen?",
    "tasks": "Wie doet wat?",
    "needs": "Wat hebben we nodig, en van wie?",
    "when": "Wanneer?",
    "first_step": "Wat is de eerste stap?",
}
GROUP_STATUS_LABELS = {"loopt": "Loopt", "loopt_vast": "Loopt vast", "vraagt_hulp": "Vraagt hulp"}
ADDITION_KIND_LABELS = {"top": "Top", "question": "Vraag"}

# How a participant took part, in the exports and on the screens that count them.
ORIGIN_LABELS = {"phone": "Telefoon", "paper": "Papier", "helper": "Met hulp", "evening": "Van de avond"}

# The helper screen (helper.js); the rest of its words are in helper.html.
HELPER = {
    "saving": N_("Wordt opgeslagen…"),
    "saved": N_("Formulier {n} is opgeslagen. U kunt het volgende formulier invoeren."),
    "saved_helper": N_("Opgeslagen. Dank u wel! Geef het scherm aan de volgende persoon."),
    "fix_fields": N_("Er klopt nog iets niet. Kijk bij de rode tekst."),
    "count": NP_("formulier opgeslagen", "formulieren opgeslagen"),
    "mode_paper": N_("Papier invoeren"),
    "mode_helper": N_("Iemand helpen"),
}

# What the connection line at the top of a screen says.
CONNECTION = {
    "ok": N_("Verbonden"),
    # A refusal that passes (rate_limited, server_error): the page tries again by itself.
    "busy": N_("Het is even druk. We proberen het zo weer."),
}

# What a phone says about one action. "Saving" also covers the retries after a passing refusal.
PHONE = {
    "saving": N_("Wordt opgeslagen…"),
    "saved": N_("Opgeslagen ✓"),
    "addition_sent": N_("Dank u! Uw aanvulling is verstuurd."),
    "pledged": N_("U helpt mee. Dank u wel! U kunt uw gegevens nog aanpassen."),
    "fix_fields": N_("Er klopt nog iets niet. Kijk bij de rode tekst."),
    "new_part": N_("Nieuw onderdeel:"),
    "too_long": N_("De tekst is te lang. Haal er {n} {word} af."),
    # The counter under a text box: "Nog 280 tekens over".
    "chars_left": N_("Nog {n} {word}"),
    # The whole evening on one phone (phone.js and live/static/js/phone/).
    # The whole as a card under the page's "Herkent u zich hierin?": a name like a theme's, not
    # that question again, and the paper form's explanation under it.
    "whole_title": N_("Het geheel"),
    "whole_about": N_("Alle thema’s samen: klopt het beeld van de wijk?"),
    "whole_missing": N_("Mist er iets in het geheel?"),
    "whole_label": N_("Wat mist er in het geheel?"),
    "theme_label": N_("Wat wilt u zeggen over dit thema?"),
    "add_summary": N_("Iets aanvullen?"),
    # The shown additions of a theme on the phone, with one button each ("Dat herken ik ook").
    "others_label": N_("Dit zeiden anderen. Herkent u dat?"),
    "endorse": N_("Dat herken ik ook"),
    "endorsed": N_("U herkent dit ✓"),
    "one_at_a_time": N_("Beantwoord deze vraag. Daarna gaat de gespreksleider verder."),
    "every_theme": N_("Kies bij elk thema: ja, deels of nee. U kunt het later nog veranderen."),
    "go_to": N_("Ga naar:"),
    "your_topic": N_("Uw onderwerp:"),
    "no_table": N_("Blijf zitten. De gespreksleider zegt waar uw groep praat."),
    "tables": N_("Plaats:"),
    "full": N_("Vol"),
    "full_room": N_("Dit onderwerp is vol. Er is nog plek bij: {themes}."),
    "full_none": N_("Dit onderwerp is vol. Er is nergens meer plek. Vraag de gespreksleider."),
    "locked": N_("Kiezen is gesloten. Vraag de gespreksleider als u wilt wisselen."),
    "merged": N_("Uw onderwerp is samengevoegd met: {theme}."),
    "card_of": N_("Kaart van: {theme}"),
    "note_added": N_("Uw briefje staat op de kaart."),
    "note_removed": N_("Uw briefje is weggehaald."),
    "edit": N_("Wijzigen"),
    "remove": N_("Weghalen"),
    "save": N_("Opslaan"),
    "cancel": N_("Annuleren"),
    "edit_label": N_("Uw briefje"),
    "yours": N_("(van u)"),
    "empty_field": N_("Nog niets."),
    "pledged_for": N_("U helpt mee bij: {theme}. Dank u wel!"),
    "helps_with": N_("U helpt mee bij:"),
    "withdraw": N_("Intrekken"),
    "withdraw_ask": N_("Wilt u echt niet meer meehelpen bij {theme}?"),
    "withdraw_yes": N_("Ja, intrekken"),
    "withdraw_no": N_("Nee, ik help mee"),
    "withdrawn": N_("U helpt niet meer mee bij: {theme}."),
    "pledge_for": N_("Aanmelding van: {name}"),
    "new_person": N_("Aanmelding van iemand anders. Vul de gegevens van deze persoon in."),
    "someone": N_("Iemand anders"),
    "me": N_("U"),
    "changing": N_("U wijzigt uw aanmelding bij: {theme}."),
    # A terugkombijeenkomst: tops and questions to the group that presents, then the agreements.
    "top": N_("Een top"),
    "question": N_("Een vraag"),
    "coach_top": N_("Begin met een top: wat vindt u goed aan dit plan?"),
    "coach_question": N_("Stel een vraag die helpt. Bijvoorbeeld: hoe kunnen wij helpen?"),
    "present_now": N_("Nu presenteert: {theme}"),
    "present_none": N_("Zo meteen presenteert de eerste werkgroep. Kijk op het grote scherm."),
    "extra_sent": N_("Dank u! De gespreksleider kiest wat op het grote scherm komt."),
    "extra_to": N_("Aan: {theme}"),
    "agreement_groups": N_("Werkgroep: {themes}"),
    "agreement_who": N_("Wie: {who}"),
    "agreement_due": N_("Wanneer: {due}"),
    "and": N_("en"),
}

# The four fields of a subgroup card, in their order (keys are the protocol's `field`). One wording
# on every screen and in every export: the phone, the host, the beamer, the group page, the record
# and the spreadsheets all read this table.
CARD_FIELDS = {
    "how": N_("Hoe kunnen we dit doen?"),
    "needs": N_("Wat is er nodig?"),
    "lead": N_("Wie neemt het voortouw?"),
    "first_step": N_("Wat is de eerste stap, en wanneer?"),
}

# The host screen's panel with the host link (keep_link.js); the rest of it is in host.html.
HOST_LINK = {
    "show": "Link tonen",
    "close": "Sluiten",
    "copied": "De link is gekopieerd. Plak hem in een e-mail aan uzelf of in uw notities.",
    "copy_failed": "Kopiëren lukte niet. De link is nu geselecteerd: kopieer hem zelf.",
}

# The host screen (host.html and static/js/host/). {n}, {title}, ... are filled in by the script.
HOST = {
    "whole": "Het geheel",
    "removed_theme": "Thema weggehaald",
    "saving": "Bezig…",
    "saved": "Opgeslagen ✓",
    # pace
    "pace_all": "Alle thema's staan tegelijk op de telefoons en de beamer.",
    "pace_one": "Nu aan de beurt: {title} ({n} van {of}).",
    # What is on the beamer (host/beamer.js), in every part of the evening.
    "pace_turning": "De beamer laat de thema's om de beurt zien: elke 10 seconden een ander scherm.",
    "pace_hold": "De beamer staat stil op het scherm met {title}. Met Vorige en Volgende gaat u verder.",
    "hold": "Beamer stilzetten",
    "resume": "Weer vanzelf laten wisselen",
    "beamer_now": "Op de beamer nu (scherm {screen} van {screens}): {titles}.",
    "beamer_now_all": "Op de beamer nu: {titles}.",
    "beamer_now_none": "Op de beamer nu: geen thema's (het welkom of een leeg scherm).",
    "beamer_unknown": "De beamer heeft nog niet laten weten wat erop staat. Staat het beamer-scherm open?",
    "now_mark": "Nu aan de beurt",
    # results on the beamer
    "results_all_hidden": (
        "Op de beamer: alleen hoeveel mensen antwoordden. De uitkomsten (ja, deels, nee) zijn verborgen."
    ),
    "results_all_shown": "Op de beamer: de uitkomsten van alle thema's (ja, deels, nee).",
    "results_mixed": (
        "Op de beamer: de uitkomsten van {shown} van de {of}."
        " Bij de andere alleen hoeveel mensen antwoordden."
    ),
    "results_toggle": "Uitkomst op de beamer tonen",
    "results_locked": (
        "Alle uitkomsten zijn verborgen. Druk eerst op 'Alle uitkomsten tonen' om ze per thema te kiezen."
    ),
    # raised hands
    "hands_legend": "Handen",
    "hands_bad": "Vul een heel getal in, van 0 tot 100.000.",
    "of_hands": "waarvan {n} handen",
    "of_hand": "waarvan 1 hand",
    # themes
    "edit": "Bewerken",
    "up": "Omhoog",
    "down": "Omlaag",
    "remove": "Weghalen",
    "save": "Opslaan",
    "cancel": "Annuleren",
    "title": "Titel",
    "description": "Uitleg",
    "tables": "Tafel of plek",
    "tables_hint": "Eén tafel per regel. Mag leeg.",
    "capacity": "Hoeveel mensen passen er?",
    "capacity_hint": "Leeg laten: geen grens.",
    "capacity_bad": "Vul een heel getal in, van 1 tot 10.000. Of laat het leeg.",
    "tables_bad": "Vul maximaal 10 tafels in.",
    "title_needed": "Vul een titel in.",
    # The host names tables "Tafel 6": the label must not say "Tafel" again (the phone's word).
    "at_tables": "Plaats: {tables}.",
    "capacity_is": "Er passen {n} mensen.",
    "nobody_chose": "Nog niemand koos dit thema",
    "merge_with": "Samenvoegen met",
    "merge": "Samenvoegen",
    "pick_theme": "Kies een thema",
    "merged_themes": "Samengevoegd: {n} mensen gingen mee.",
    "confirm_remove": (
        "Bij dit thema zijn al {n} antwoorden. Toch weghalen? De antwoorden blijven bewaard in de export."
    ),
    "confirm_yes": "Ja, weghalen",
    "confirm_no": "Nee, laten staan",
    "removed": "Het thema is weggehaald.",
    "added": "Het thema staat er nu bij.",
    "moved": "Volgorde opgeslagen.",
    "lock": "Kiezen sluiten",
    "unlock": "Kiezen weer openen",
    "lock_open": "Deelnemers kunnen nu een onderwerp kiezen of wisselen.",
    "lock_closed": "Kiezen is gesloten. Niemand kan nu nog kiezen of wisselen.",
    # additions
    "number": "Nr. {n}",
    "merged_into": "Samengevoegd met nr. {n}",
    "promoted": "Is nu een thema",
    "pending": "Nog niet bekeken",
    "hidden": "Verborgen",
    "merged_count": "{merged} samengevoegd, {promoted} thema geworden.",
    "on_beamer_now": "Nu op de beamer",
    "on_beamer_waiting": "Wacht op zijn beurt op de beamer",
    "on_beamer_chosen": "Gekozen voor de beamer",
    "show": "Tonen op beamer",
    "hide": "Verbergen",
    # On a merged addition, "Tonen" takes it out of its group again: the button says so.
    "show_apart": "Weer apart tonen",
    "show_apart_hint": "Dan telt het niet meer mee bij nr. {n}.",
    # A group's root: how many people said it (itself and what was merged into it).
    "mentions": "{n}× genoemd (samengevoegd)",
    # "Dat herken ik ook" on phones, paper forms and helpers, plus the hands the host counts.
    "endorsed_count": "{n} herkennen dit",
    "endorsed_one": "1 herkent dit",
    "hands_label": "Handen omhoog voor deze aanvulling",
    "hands_save": "Handen opslaan",
    "no_additions": "Nog geen aanvullingen.",
    "additions_summary": (
        "{total} {word}: {pending} nog niet bekeken, {shown} gekozen voor de beamer, {hidden} verborgen."
    ),
    "addition_one": "aanvulling",
    "addition_other": "aanvullingen",
    "page_range": "Nummer {first} tot {last} van {of}",
    "page_empty": "Niets meer op deze pagina ({of} in totaal)",
    "beamer_none": "Op de beamer staan nu geen aanvullingen.",
    "beamer_all": "Op de beamer staan nu alle gekozen aanvullingen.",
    "beamer_page": "Op de beamer nu: aanvullingen {page} van {pages}. Ze wisselen elke 10 seconden.",
    "phase_now": "Nu op alle schermen: {phase}",
    "merge_addition": "Samenvoegen met …",
    "merge_addition_label": "Met welke aanvulling?",
    "make_theme": "Maak hier een nieuw thema van",
    "make_theme_button": "Thema maken",
    # The theme's title is part of the analysis: it stays in the record after names are erased.
    "theme_title_stays": "De titel blijft in het verslag staan, ook als de namen gewist zijn. Zet er geen"
    " namen of andere dingen over iemand in.",
    "theme_title": "Titel van het nieuwe thema",
    "no_other": "Er is geen andere aanvulling op deze pagina.",
    "pick_addition": "Kies een aanvulling",
    "pick_addition_first": "Kies eerst met welke aanvulling, of typ haar nummer.",
    "merge_number_label": "Of typ het nummer van een andere aanvulling",
    # cards and pledges
    "fields": CARD_FIELDS,
    "no_notes": "Nog niets.",
    "note_edit_label": "Briefje aanpassen",
    "roles_line": "Trekker: {lead} · Meedoen: {member} · Af en toe: {occasional}",
    "no_lead": "Nog geen trekker bij dit thema.",
    "note_added": "Op de kaart gezet.",
    # the hall's Wi-Fi and the welcome on the beamer
    "wifi_saved": "Opgeslagen. De beamer toont de wifi bij het welkom.",
    "wifi_cleared": "Opgeslagen. De beamer toont geen wifi.",
    "welcome_on": "Het welkom staat op de beamer.",
    "welcome_off": "De beamer toont weer het onderdeel van de avond.",
    "welcome_show": "Welkom terug op de beamer",
    "welcome_hide": "Terug naar het onderdeel",
    "note_removed": "Briefje weggehaald.",
}

# Words after a number, by the number's plural category ("one" or "other", as Intl.PluralRules
# says for Dutch). The templates take their first words from here too, so both say the same.
COUNT_WORDS = {
    # Everyone who takes part: by phone, on paper and with a helper (raised hands are counted per
    # theme, not as people).
    "participants": {"one": "persoon doet mee", "other": "mensen doen mee"},
    "chosen": {"one": "persoon koos dit", "other": "mensen kozen dit"},
    "pledged": {"one": "helpt mee", "other": "helpen mee"},
    "chars": NP_("teken", "tekens"),
    "chars_left": NP_("teken over", "tekens over"),
    "chars_over": NP_("teken te veel", "tekens te veel"),
    # The beamer while results are hidden, and the raised hands within a count.
    "answered": {"one": "persoon heeft geantwoord", "other": "mensen hebben geantwoord"},
    "hands": {"one": "hand", "other": "handen"},
}

# How the people taking part came in (tally.origins), after the count on host and beamer.
ORIGIN_COUNTS = {"phone": "met telefoon", "paper": "op papier", "helper": "met hulp"}

# The beamer (projector.js): read from the back of a village hall, so short and plain.
PROJECTOR = {
    "whole": "Herkent u zich in het geheel?",
    "themes_page": "Thema's {first}-{last} van {total}",
    "theme_page": "Thema {first} van {total}",
    "whole_page": "Het geheel",
    "additions_page": "Aanvullingen {page} van {pages}",
    "of_hands": "waarvan {n} {word}",
    "places": "van {n} plaatsen",
    # While nobody chose a theme: "Nog niemand" and the room there is, without "0 mensen kozen dit".
    "places_free": "{n} plaatsen",
    "full": "Vol",
    "nobody": "Nog niemand",
    # The host names tables "Tafel 6", so the label is the phone's "Plaats:", one or several.
    "tables": "Plaats:",
    "volunteers": "Helpen mee:",
    "no_lead": "Nog geen trekker: wie wil?",
    "chosen": "Gekozen door",
    "more_notes": "en {n} meer",
    # An addition that others were merged into: how many people said it ("3× genoemd").
    "mentions": "{n}× genoemd",
    # The subgroup card's questions, as everywhere: the beamer shows a few notes of each.
    "card_fields": CARD_FIELDS,
    "contrast": "Hoog contrast",
}


def count_words(key: str, n: int) -> str:
    """The words that follow the number n, singular for 1 and plural otherwise (Dutch)."""
    return COUNT_WORDS[key]["one" if n == 1 else "other"]


# Where making a meeting needs other words than the general sentence for a slug.
CREATE_ERRORS = {
    "rate_limited": "Vanaf dit adres zijn te veel bijeenkomsten gemaakt. Probeer het later opnieuw.",
    "server_error": "Er ging iets mis. De bijeenkomst is niet opgeslagen. Probeer het later opnieuw.",
    "cross_site": "Dit formulier kwam van een andere website. Er is geen bijeenkomst gemaakt. Vul het"
    " formulier hier in.",
    "import_busy": "Er wordt al een bijeenkomst ingelezen. Probeer het over een minuut opnieuw.",
    "too_many_rows": "Dit bestand is te groot om in te lezen. Er is niets opgeslagen.",
    "too_large": "Dit bestand is te groot om in te lezen (meer dan 8 MB). Er is niets opgeslagen.",
    "bad_payload": "Dit is geen bestand van een bijeenkomst dat we kunnen inlezen. Er is niets opgeslagen.",
    # A terugkombijeenkomst, made from one or more evenings.
    "bad_meeting_kind": "Dit soort bijeenkomst bestaat niet. Kies een avond of een terugkombijeenkomst.",
    "from_required": "Kies de avond (of avonden) waar deze terugkombijeenkomst bij hoort.",
    "bad_from": "De avonden kloppen niet. Geef van elke avond de code en de sleutel van de gespreksleider,"
    " en elke avond maar één keer.",
    "bad_from_key": "De code of de sleutel van een avond klopt niet. Er is niets gemaakt.",
    "from_not_evening": "Een terugkombijeenkomst maakt u van een avond, niet van een andere"
    " terugkombijeenkomst.",
    "no_groups": "Op deze avond heeft niemand zich aangemeld om mee te helpen. Er zijn dus nog geen"
    " werkgroepen om terug te laten komen.",
}

# The poster and the table cards speak to everyone at the door: these lines in the five languages of
# the phone (live/languages.py), whatever the page's language. Not checked by native speakers yet,
# like the catalogues (docs/translations.md). ``dir`` for right-to-left Arabic.
INVITE_LINES = (
    {"lang": "nl", "dir": "ltr", "scan": "Scan om mee te doen", "wifi": "Eerst: verbind met de wifi"},
    {"lang": "en", "dir": "ltr", "scan": "Scan to take part", "wifi": "First: connect to the Wi-Fi"},
    {"lang": "tr", "dir": "ltr", "scan": "Katılmak için tarayın", "wifi": "Önce: Wi-Fi'ye bağlanın"},
    {"lang": "ar", "dir": "rtl", "scan": "امسح الرمز للمشاركة", "wifi": "أولاً: اتصل بشبكة الواي فاي"},
    {
        "lang": "pl",
        "dir": "ltr",
        "scan": "Zeskanuj, aby wziąć udział",
        "wifi": "Najpierw: połącz się z Wi-Fi",
    },
)

# An address asked with a method it does not take (GET on a form's address, PUT, DELETE).
METHOD_NOT_ALLOWED = "Dit adres kan dat niet. Kijk in docs/protocol.md hoe u het gebruikt."
STORE_AWAY = (
    "De opslag is even niet bereikbaar. Er is niets verloren. Probeer het over een paar seconden opnieuw."
)


def tr(text: str) -> str:
    """A marked string in the request's language (Dutch outside a request or without a catalogue)."""
    return gettext(text) if text else text


def _tr_all(table: dict) -> dict:
    return {key: tr(value) if isinstance(value, str) else value for key, value in table.items()}


# A few numbers to find one of each plural category (CLDR) of a language: 0..110 covers all the
# categories whole numbers have (Arabic's "other" first shows at 100, Polish has no whole "other").
_SAMPLES = tuple(range(111))


def plural_forms(forms: dict) -> dict:
    """The words after a number for each plural category of the request's language, as
    ``Intl.PluralRules`` names them (Dutch: one, other; Polish: one, few, many, other; Arabic:
    zero, one, two, few, many, other). Each comes from the catalogue's own plural rule, asked
    with a number of that category, so the browser needs no rule of its own."""
    locale = get_locale() or Locale("nl")
    out = {}
    for n in _SAMPLES:
        category = locale.plural_form(n)
        if category not in out:
            out[category] = ngettext(forms["one"], forms["other"], n)
    # A whole number is never "other" in Polish (only fractions are): give it the plural anyway.
    out.setdefault("other", out.get("many") or ngettext(forms["one"], forms["other"], 5))
    return out


def error_text(slug: str) -> str:
    """The sentence for an error slug, in the request's language (Dutch by default)."""
    return tr(ERRORS.get(slug, ERRORS["server_error"]))


def create_error_text(slug: str) -> str:
    """The Dutch sentence for an error slug when making a meeting."""
    return CREATE_ERRORS.get(slug) or error_text(slug)


def consent_text(retention_days: int, erase_on: str = "") -> str:
    """The consent sentence for a pledge: who sees the details, and for how long (the day they
    are erased, when the meeting's day is known)."""
    if erase_on:
        when = gettext("Op %(day)s worden ze hier gewist.", day=erase_on)
    else:
        when = gettext("Na %(days)s dagen worden ze hier gewist.", days=retention_days)
    consent = gettext(
        "Ik vind het goed dat de kopgroep van deze avond mijn naam en contactgegevens ziet "
        "en doorgeeft aan de werkgroep van dit onderwerp."
    )
    return f"{consent} {when}"


def client_texts(retention_days: int, erase_on: str = "") -> dict:
    """The strings the browser scripts need, handed over as JSON, in the request's language
    (the parts of the host and the beamer are Dutch only)."""
    return {
        "errors": _tr_all(ERRORS),
        "phases": _tr_all(PHASE_LABELS),
        "answers": _tr_all(ANSWER_LABELS),
        "roles": _tr_all(ROLE_LABELS),
        "roles_short": _tr_all(ROLE_SHORT),
        "consent": consent_text(retention_days, erase_on),
        "connection": _tr_all(CONNECTION),
        "phone": _tr_all(PHONE),
        "counts": {key: plural_forms(forms) for key, forms in COUNT_WORDS.items()},
        "origin_counts": ORIGIN_COUNTS,
        "host_link": HOST_LINK,
        "helper": {**_tr_all(HELPER), "count": plural_forms(HELPER["count"])},
        "origins": ORIGIN_LABELS,
        "host": HOST,
        "projector": PROJECTOR,
        # Not words, but the pages need them next to the words (the counter under an addition).
        "limits": {"addition": MAX_ADDITION, "note": MAX_NOTE},
        "card_fields": _tr_all(CARD_FIELDS),
        "follow_up": {
            "phases": _tr_all(FOLLOW_UP_PHASE_LABELS),
            "plan": PLAN_LABELS,
            "status": GROUP_STATUS_LABELS,
            "kinds": ADDITION_KIND_LABELS,
        },
    }


# What the phone page's scripts read (live/static/js/phone*, live.js, counts.js). The rest of
# client_texts is the host's and the beamer's (Dutch) and the helper's: a phone in Turkish gets
# only Turkish, and a few KB less on a slow Wi-Fi. The template itself may use all of it.
PHONE_SCRIPT_TEXTS = ("errors", "phases", "roles_short", "connection", "phone", "counts")


def phone_script_texts(texts: dict) -> dict:
    """The part of ``client_texts`` the phone page hands its scripts."""
    return {key: texts[key] for key in PHONE_SCRIPT_TEXTS}


# -- the hand-off (exports, the printed record) ------------------------------------------------

MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
CARD_LABELS = CARD_FIELDS  # the exports say what the screens say
CONTACT_BY = {"email": "e-mail", "phone": "telefoon"}
ADDITION_STATUS = {
    "pending": "nog niet bekeken",
    "shown": "getoond",
    "hidden": "niet getoond",
    "promoted": "werd een thema",
    "merged": "samengevoegd",
}
HANDOFF_ERRORS = {
    "confirm_code": "Typ de code van de bijeenkomst om te bevestigen.",
    "bad_date": "Vul een datum in, zoals 2026-03-12.",
    "bad_time": "Vul een tijd in, zoals 19.30.",
    "bad_days": "Vul een aantal dagen in, van 0 tot 3650.",
    "text_too_long": "Deze tekst is te lang.",
    "cross_site": "Dit formulier kwam niet van deze site. Probeer het opnieuw vanaf de pagina zelf.",
}
