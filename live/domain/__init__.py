"""The method's rules, pure: no Flask, Socket.IO, SQLite, Redis or any other I/O.

Validation returns cleaned values or raises ``Refused(slug)``; the Dutch sentence for a slug lives
in ``live/texts.py``. Every store and every transport reuses these rules, so a rule of the method
is written once, here (docs/architecture.md says where each kind of change goes).

The package's names are importable from ``live.domain`` itself; each module holds one concern:
``model`` (phases, limits, records), ``keys`` (codes, keys, tickets, message ids), ``text``
(cleaning untrusted text), ``creating`` (a new meeting), ``checks`` (each action, for whom and
when), ``forms`` (paper and helper forms), ``seen`` (what each role may see), ``wifi`` (the hall's
Wi-Fi), ``rules`` (the decisions an action's write depends on), ``terugkom`` (step 5: the
terugkombijeenkomst, its groups, plans and agreements).
"""

from live.domain.checks import *  # noqa: F403
from live.domain.creating import *  # noqa: F403
from live.domain.forms import *  # noqa: F403
from live.domain.keys import *  # noqa: F403
from live.domain.model import *  # noqa: F403
from live.domain.seen import *  # noqa: F403
from live.domain.terugkom import *  # noqa: F403
from live.domain.text import *  # noqa: F403
from live.domain.wifi import *  # noqa: F403
