"""The HTTP side: the server, its routes, credentials, scopes, limits, paging and replies."""
