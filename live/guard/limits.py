"""What one client may cost: every number the guards hold a request, a message or a connection to.

Owns the numbers only, each with why it is what it is; ``budgets``, ``listener``, ``middleware``
and ``patches`` enforce them. It must not import Flask, Engine.IO or eventlet, so the app factory
and every guard module can read it without pulling in the rest.
"""

# -- sizes -----------------------------------------------------------------------------------

# The largest real request is "create a meeting": 40 themes x (120 + 400) characters. At worst
# every character costs 12 bytes on the wire (a JSON surrogate pair "\ud83d\ude00", or four
# percent-encoded UTF-8 bytes in the form): about 250 KB. Anything bigger is refused unread.
MAX_BODY = 256 * 1024
# The largest real socket message is a few KiB (a 500-character addition, JSON-escaped).
MAX_MESSAGE = 16 * 1024

# -- a connection's message budget -----------------------------------------------------------

# Per-connection budget, per window of BUDGET_WINDOW seconds, counted on every Engine.IO
# message (also garbage and unknown events). Past the soft limit a message is answered
# `rate_limited` without reaching a handler; past HARD_FACTOR times that the connection is
# closed. The soft limit is twice what PHONE_RATE_LIMIT or HOST_RATE_LIMIT allow in a window
# (at least MIN_MESSAGES), so it never refuses what the event limits let through.
BUDGET_WINDOW = 5.0
MIN_MESSAGES = 100
BYTES_PER_MESSAGE = 2 * 1024
HARD_FACTOR = 4
# A session that sent something (its request to join) may wait this many times JOIN_TIMEOUT for
# the answer; a silent one (a bare handshake) goes after JOIN_TIMEOUT.
SPOKE_GRACE = 6

# -- the listener ----------------------------------------------------------------------------

# Read and write buffer of each connection's HTTP file objects. eventlet allocates them when a
# connection opens (8 KiB to read, 16 KiB to write), and a websocket keeps them all evening but
# never uses them (its frames go through the socket itself). A request's line and headers and a
# response's status and headers fit in one such buffer; a larger body bypasses it.
CONNECTION_BUFFER = 2 * 1024
# A request body must arrive at this many bytes a second on average (after REQUEST_TIMEOUT of
# grace): a phone on the slowest village-hall Wi-Fi sends an import at some 20 KB/s.
MIN_BODY_RATE = 1024
# Bodies being received at one moment, over every client. An honest body is in within a blink,
# so more than this at once are tricklers: the slowest is cut to make room for a new one.
BODY_BUDGET = 256
