"""Google Calendar (API v3), direct: OAuth with PKCE, batch writes by our own event ids,
incremental reads by sync token, push channels (``events.watch``)."""
