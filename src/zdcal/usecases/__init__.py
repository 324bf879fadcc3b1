"""Use-cases: each act of an admin or agent written once, owning its transaction; web
handlers and click commands are thin adapters over them."""
