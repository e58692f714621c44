"""The transport: HTTP through the request engine (``requests``) against real servers on loopback.

Every test sends through :class:`RequestEngine.call` (or its fan-out), so what is
checked is what a sync gets: the answer's JSON object, or the engine's error for it
(retried or not). Well-behaved answers come from a threaded ``http.server``, over plain
HTTP or TLS with a throwaway authority from ``trustme``; misbehaviour (truncated bodies,
silent closes, resets, plaintext where TLS was expected, forward and tunnelling proxies)
comes from raw socket servers whose scripts write exact bytes. Connections and TLS
handshakes are counted on the server's side. Nothing in requests or the engine is
mocked; name lookups other than loopback's are refused, so no test can leave the
machine.
"""
