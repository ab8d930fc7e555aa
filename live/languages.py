"""Which language a page speaks: the phone, the join pages, the helper screen and the paper form
in Dutch (the default), English, Turkish, Arabic or Polish; the host and beamer screens in Dutch.

The choice is one tap (``?lang=xx``) and is remembered in the cookie ``lang``. The browser's
Accept-Language is not used: Dutch is the meeting's language, and a phone set to English by its
shop is no sign that its owner wants the phone in English at a Dutch evening. The catalogues are
in ``live/translations`` (docs/translations.md).
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import Babel, get_locale

DEFAULT = "nl"
# Each language named in its own words, in the order of the language list on the pages.
LANGUAGES = {"nl": "Nederlands", "en": "English", "tr": "Türkçe", "ar": "العربية", "pl": "Polski"}
RIGHT_TO_LEFT = {"ar"}
COOKIE = "lang"
COOKIE_AGE = 365 * 24 * 3600

# The pages that speak the chosen language (endpoints of live/views/). Every other page (start,
# host, beamer, hand-off, exports) is Dutch, whatever the cookie says.
TRANSLATED = {"live.phone", "live.join_by_code", "live.helper", "live.paper"}


def _asked() -> str | None:
    """The language in ``?lang=``, if it is one we have."""
    wanted = request.args.get("lang", "")
    return wanted if wanted in LANGUAGES else None


def select_locale() -> str:
    """The language of this request: ``?lang=``, else the cookie, else Dutch; Dutch on the
    pages that are not translated. Error pages (not found, no access) follow the page asked for."""
    if request.endpoint not in TRANSLATED:
        return DEFAULT
    remembered = request.cookies.get(COOKIE, "")
    return _asked() or (remembered if remembered in LANGUAGES else DEFAULT)


def remember(response):
    """A language chosen with ``?lang=`` on a translated page is kept in the cookie ``lang``."""
    wanted = _asked()
    if wanted and request.endpoint in TRANSLATED and request.cookies.get(COOKIE) != wanted:
        # Not HttpOnly: it holds no secret. Lax: it goes along when a QR code opens the page.
        # Secure behind HTTPS, like the key cookies (live/views/keys.py ``with_key_cookie``).
        secure = request.is_secure or current_app.config["PUBLIC_URL"].startswith("https://")
        response.set_cookie(COOKIE, wanted, max_age=COOKIE_AGE, samesite="Lax", secure=secure)
    return response


def page_language() -> dict:
    """For every template: the page's language, its direction and the list to choose from."""
    code = str(get_locale() or DEFAULT)
    return {
        "lang": code,
        "dir": "rtl" if code in RIGHT_TO_LEFT else "ltr",
        "languages": LANGUAGES,
    }


def install(app: Flask) -> None:
    """Flask-Babel with our choice of language, the cookie, and the page language in templates."""
    Babel(app, locale_selector=select_locale, default_locale=DEFAULT)
    app.after_request(remember)
    app.context_processor(page_language)
