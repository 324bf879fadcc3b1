"""Home and sign-in: agents and admins sign in with their Zendesk account (OAuth + PKCE)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from zdcal.http.oauth import make_pkce_pair
from zdcal.live.services import Services
from zdcal.mail import RECONNECT_PATH
from zdcal.store import Account, ZendeskOAuth
from zdcal.web.pages.csrf import csrf_protected
from zdcal.web.pages.errors import AccountUnknown, ConnectRefused, NotAnAgent
from zdcal.web.pages.headers import FRAME_ORIGINS_KEY, account_origins
from zdcal.web.pages.identity import SignedIn, current_user, sign_in, sign_out
from zdcal.web.pages.oauth_flows import begin_flow, finish_flow
from zdcal.web.pages.rendering import flash, render
from zdcal.web.pages.zendesk_identity import (
    SIGN_IN_SCOPE,
    OAuthClientCredentials,
    ZendeskIdentityError,
    forget_token,
    identify,
)
from zdcal.zendesk import oauth as zendesk_oauth

CALLBACK_PATH = "/signin/callback"
DESTINATIONS = {"agent": "/agent", "admin": "/admin", "reconnect": RECONNECT_PATH}


def sign_in_client(services: Services, account: Account) -> OAuthClientCredentials | None:
    """The OAuth client agents sign in with: the account's own, else the configured one."""
    if isinstance(account.credentials, ZendeskOAuth):
        return OAuthClientCredentials(account.credentials.client_id,
                                      account.credentials.client_secret)
    settings = services.settings
    if settings.zendesk_oauth_client_id:
        return OAuthClientCredentials(settings.zendesk_oauth_client_id,
                                      settings.zendesk_oauth_client_secret.get_secret_value())
    return None


async def home(request: Request) -> Response:
    """Signed in: the agent page. Otherwise: the sign-in form (``?account=`` pre-fills it)."""
    if current_user(request) is not None:
        return RedirectResponse("/agent", status_code=303)
    services: Services = request.state.services
    wanted = request.query_params.get("account", "").strip().lower()
    async with services.store.transaction() as tx:
        accounts = await tx.accounts.all()
    known = next((a for a in accounts if a.subdomain == wanted), None)
    if known is not None:
        setattr(request.state, FRAME_ORIGINS_KEY, account_origins(known.subdomain, known.base_url))
    suggestion = known.subdomain if known else (accounts[0].subdomain if len(accounts) == 1 else "")
    return render(request, "home.html", subdomain=suggestion)


async def start_sign_in(request: Request) -> Response:
    """Send the browser to the account's Zendesk to sign in."""
    services: Services = request.state.services
    subdomain = request.query_params.get("account", "").strip().lower()
    destination = request.query_params.get("next", "agent")
    async with services.store.transaction() as tx:
        account = await tx.accounts.get_by_subdomain(subdomain) if subdomain else None
    if account is None:
        raise AccountUnknown(
            f"zdcal is not connected to a Zendesk account called {subdomain[:63]!r}. "
            "A Zendesk admin can connect it first."
        )
    client = sign_in_client(services, account)
    if client is None:
        raise ConnectRefused(
            "This account was connected with an API token and no OAuth client is set up for "
            "sign-in. An admin can reconnect it with OAuth (or the operator can set "
            "ZDCAL_ZENDESK_OAUTH_CLIENT_ID and ZDCAL_ZENDESK_OAUTH_CLIENT_SECRET)."
        )
    pkce = make_pkce_pair()
    state = begin_flow(
        request.session, "signin", account_id=account.id, verifier=pkce.verifier,
        next=destination if destination in DESTINATIONS else "agent",
    )
    url = zendesk_oauth.authorize_url(
        account.base_url, client.client_id, services.settings.public_url + CALLBACK_PATH,
        SIGN_IN_SCOPE, state, pkce.challenge,
    )
    return RedirectResponse(url, status_code=303)


async def finish_sign_in(request: Request) -> Response:
    """The Zendesk callback: who is this (``/users/me``), and are they an agent?"""
    services: Services = request.state.services
    flow, code = finish_flow(request, "signin")
    async with services.store.transaction() as tx:
        account = await tx.accounts.get(int(flow["account_id"]))
    if account is None:
        raise AccountUnknown("The Zendesk account was disconnected meanwhile.")
    client = sign_in_client(services, account)
    if client is None:
        raise ConnectRefused("The account has no OAuth client for sign-in any more.")
    try:
        user, tokens = await identify(
            services, account.base_url, client, code=code,
            redirect_uri=services.settings.public_url + CALLBACK_PATH,
            code_verifier=str(flow["verifier"]),
        )
    except ZendeskIdentityError as exc:
        raise ConnectRefused(str(exc)) from exc
    # The token proved who this is; zdcal keeps nothing of it.
    await forget_token(services, account.base_url, tokens.access_token)
    if not user.is_agent or user.id is None:
        raise NotAnAgent(
            f"{user.name or 'This user'} is not an agent of {account.subdomain}: zdcal puts "
            "agents' tasks in their calendars, so there is nothing to set up here."
        )
    async with services.store.transaction() as tx:
        agent = await tx.agents.upsert_profile(
            account.id, user.id, name=user.name or user.email or f"user {user.id}",
            email=user.email or "", time_zone=user.iana_time_zone or "Etc/UTC",
        )
    await sign_in(
        request,
        SignedIn(account_id=account.id, agent_id=agent.id, zendesk_user_id=user.id,
                 name=agent.name, role="admin" if user.is_admin else "agent"),
        account_origins(account.subdomain, account.base_url),
    )
    return RedirectResponse(DESTINATIONS[str(flow.get("next", "agent"))], status_code=303)


@csrf_protected
async def sign_out_page(request: Request) -> Response:
    await sign_out(request)
    flash(request, "You are signed out of zdcal. Your calendar keeps following your tasks.")
    return RedirectResponse("/", status_code=303)
