"""An admin connects a Zendesk account: their OAuth client, Zendesk's consent, then
bootstrap (webhook + trigger) and the first backfill, whose progress the admin page shows.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from zdcal.domain import InvalidSubdomain, SubdomainNotAllowed
from zdcal.http.oauth import make_pkce_pair
from zdcal.live.services import Services
from zdcal.settings import Settings
from zdcal.store import ZendeskOAuth
from zdcal.usecases import accounts as connecting
from zdcal.web.pages.csrf import checked_form
from zdcal.web.pages.errors import ConnectRefused, NotAnAdmin
from zdcal.web.pages.headers import account_origins
from zdcal.web.pages.identity import SignedIn, sign_in
from zdcal.web.pages.oauth_flows import begin_flow, finish_flow
from zdcal.web.pages.rendering import render
from zdcal.web.pages.zendesk_identity import (
    CONNECT_SCOPE,
    OAuthClientCredentials,
    ZendeskIdentityError,
    identify,
)
from zdcal.zendesk import oauth as zendesk_oauth

CALLBACK_PATH = "/connect/callback"


class ConnectFormInvalid(ValueError):
    """A field of the connect form is missing or not acceptable."""


def base_url_for(subdomain: str, typed: str, settings: Settings) -> str:
    """The API base URL to use: the standard host, or a typed one on an allowed host.

    Only the operator's hosts: zdcal sends the OAuth client secret to this URL, and an
    account connected through it could lock the real owner of the subdomain out.
    """
    standard = connecting.standard_base_url(subdomain)
    typed = typed.strip().rstrip("/")
    if not typed or typed == standard:
        return standard
    if not settings.web_custom_zendesk_urls:
        raise ConnectFormInvalid(
            "This zdcal only talks to <subdomain>.zendesk.com (the operator can allow other "
            "base URLs with ZDCAL_WEB_CUSTOM_ZENDESK_URLS)."
        )
    try:
        parts = urlsplit(typed)
    except ValueError:  # e.g. an unclosed "[" of an IPv6 host
        parts = None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname
            or parts.query or parts.fragment or "@" in parts.netloc):
        raise ConnectFormInvalid("The base URL must look like https://host[:port].")
    if parts.netloc.lower() not in settings.web_custom_zendesk_hosts:
        raise ConnectFormInvalid(
            f"{parts.netloc[:100]} is not on this zdcal's list of Zendesk hosts (the operator "
            "sets them in ZDCAL_WEB_CUSTOM_ZENDESK_HOSTS)."
        )
    return typed


async def connect_form(request: Request) -> Response:
    services: Services = request.state.services
    return render(request, "connect.html", values={},
                  custom_allowed=services.settings.web_custom_zendesk_urls,
                  redirect_uri=services.settings.public_url + CALLBACK_PATH)


async def start_connect(request: Request) -> Response:
    """Check the form, remember it in the (encrypted) session, go to Zendesk's consent."""
    services: Services = request.state.services
    form = await checked_form(request)
    values = {k: str(form.get(k, "")).strip() for k in ("subdomain", "base_url", "client_id")}
    secret = str(form.get("client_secret", "")).strip()
    subdomain = values["subdomain"].lower()
    try:
        try:
            connecting.valid_subdomain(subdomain)
        except InvalidSubdomain as exc:
            raise ConnectFormInvalid("The subdomain is the <name> of <name>.zendesk.com.") from exc
        if not values["client_id"] or not secret:
            raise ConnectFormInvalid("Give the OAuth client's unique identifier and secret.")
        base_url = base_url_for(subdomain, values["base_url"], services.settings)
        await connecting.check_connectable(services.store, services.settings, subdomain,
                                           base_url)
    except (ConnectFormInvalid, SubdomainNotAllowed, connecting.ConnectRefused) as exc:
        return render(request, "connect.html", status=400, error=str(exc), values=values,
                      custom_allowed=services.settings.web_custom_zendesk_urls,
                      redirect_uri=services.settings.public_url + CALLBACK_PATH)
    pkce = make_pkce_pair()
    state = begin_flow(
        request.session, "connect", subdomain=subdomain, base_url=base_url,
        client_id=values["client_id"], client_secret=secret, verifier=pkce.verifier,
    )
    url = zendesk_oauth.authorize_url(
        base_url, values["client_id"], services.settings.public_url + CALLBACK_PATH,
        CONNECT_SCOPE, state, pkce.challenge,
    )
    return RedirectResponse(url, status_code=303)


async def finish_connect(request: Request) -> Response:
    """Zendesk's answer: an admin's tokens. Store the account, then bootstrap and backfill."""
    services: Services = request.state.services
    flow, code = finish_flow(request, "connect")
    client = OAuthClientCredentials(str(flow["client_id"]), str(flow["client_secret"]))
    subdomain, base_url = str(flow["subdomain"]), str(flow["base_url"])
    try:
        # Again before Zendesk is asked: the operator may have changed the list since.
        await connecting.check_connectable(services.store, services.settings, subdomain,
                                           base_url)
    except (SubdomainNotAllowed, connecting.ConnectRefused) as exc:
        raise ConnectRefused(str(exc)) from exc
    try:
        user, tokens = await identify(
            services, base_url, client, code=code,
            redirect_uri=services.settings.public_url + CALLBACK_PATH,
            code_verifier=str(flow["verifier"]),
        )
    except ZendeskIdentityError as exc:
        raise ConnectRefused(str(exc)) from exc
    credentials = ZendeskOAuth(
        client_id=client.client_id, client_secret=client.client_secret,
        access_token=tokens.access_token, refresh_token=tokens.refresh_token,
        expires_at=tokens.expires_at,
    )
    try:
        connected = await connecting.connect_account(
            services.store, services.settings, subdomain=subdomain, base_url=base_url,
            admin=user, credentials=credentials, record_admin_as_agent=True,
        )
    except connecting.NotAnAdmin as exc:
        raise NotAnAdmin(str(exc)) from exc
    except (SubdomainNotAllowed, connecting.ConnectRefused) as exc:
        raise ConnectRefused(str(exc)) from exc
    account, agent = connected.account, connected.admin_agent
    assert agent is not None  # asked for
    await sign_in(
        request,
        SignedIn(account_id=account.id, agent_id=agent.id, zendesk_user_id=agent.zendesk_user_id,
                 name=agent.name, role="admin"),
        account_origins(account.subdomain, account.base_url),
    )
    workers = request.state.workers
    workers.request_bootstrap(account.id)
    workers.request_backfill(account.id)
    return RedirectResponse("/admin", status_code=303)
