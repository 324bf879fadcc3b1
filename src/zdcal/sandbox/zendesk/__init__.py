"""A faithful local simulator of one Zendesk Support account (ASGI, Starlette).

    from zdcal.sandbox.zendesk import ZendeskSimConfig, create_app
    app = create_app(ZendeskSimConfig(...))

See docs/sandbox-zendesk.md for the covered API, the control API under ``/_sandbox``,
the default credentials and every assumption made where Zendesk's docs are silent.
"""

from zdcal.sandbox.zendesk.app import create_app
from zdcal.sandbox.zendesk.config import ZendeskSimConfig

__all__ = ["ZendeskSimConfig", "create_app"]
