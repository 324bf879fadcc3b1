"""The agent page: a person's way to list, create, edit and delete tickets in the simulator.

``/agent/tickets/{id}`` is the path of Zendesk's agent interface that zdcal's event links
open, so a demo's event link lands on the ticket here. Every change goes through the
account operations the API uses: validated by ``ticket_input``, stamped into the change
log the incremental export reads, and triggers fire. Plain server-rendered forms, each
with a CSRF token bound to a cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from zdcal.sandbox.zendesk.account import Account
from zdcal.sandbox.zendesk.agent_form import TicketForm
from zdcal.sandbox.zendesk.errors import RecordInvalid, RecordNotFound, ZendeskApiError
from zdcal.sandbox.zendesk.http_common import account_of, base_url
from zdcal.sandbox.zendesk.model import TICKET_TYPES, Ticket, User
from zdcal.sandbox.zendesk.timestamps import iso_z

AGENT_PREFIX = "/agent"
HOME = "/"
CSRF_COOKIE = "zendesk_sandbox_csrf"
AGENT_COOKIE = "zendesk_sandbox_agent"
LIST_LIMIT = 500
"""Rows the list shows (the newest); a benchmark account holds a million tickets."""
EDITABLE_STATUSES = ("open", "pending", "hold", "solved")
NOTICES = {
    "created": "Ticket #{ticket} created.",
    "saved": "Saved. Triggers were run for the change.",
    "unchanged": "Nothing changed.",
    "deleted": "Ticket #{ticket} deleted.",
    "switched": "You now work as {agent}.",
}
NO_SUCH_TICKET = "No such ticket: it never existed or was deleted."
_NONCE = re.compile(r"[A-Za-z0-9_-]{22,64}")

_TEMPLATES = Environment(
    loader=PackageLoader("zdcal.sandbox.zendesk", "templates"),
    autoescape=select_autoescape(["html"]),
)


class CsrfGuard:
    """Double-submit tokens: a random cookie, and in each form its HMAC under a key only
    this app knows, so a cookie planted by another page on the same host is useless."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def token(self, nonce: str) -> str:
        """The form token for a cookie value."""
        return hmac.new(self._key, nonce.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def nonce(request: Request) -> str | None:
        """The request's cookie value, when it is one this guard could have issued."""
        value = request.cookies.get(CSRF_COOKIE, "")
        return value if _NONCE.fullmatch(value) else None

    def accepts(self, request: Request, form: FormData) -> bool:
        """Whether a posted form carries the token of the request's cookie."""
        nonce = self.nonce(request)
        sent = form.get("csrf_token")
        return (
            nonce is not None
            and isinstance(sent, str)
            and hmac.compare_digest(sent.encode(), self.token(nonce).encode())
        )


def _set_cookie(response: Response, request: Request, name: str, value: str) -> None:
    """A cookie for the agent page only (its path under any mount prefix), never sent
    cross-site nor readable by scripts."""
    root: str = request.scope.get("root_path", "")
    response.set_cookie(
        name, value, path=root.rstrip("/") + AGENT_PREFIX, httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )


def _staff(account: Account) -> list[User]:
    return [u for u in account.users.by_id.values() if account.users.is_assignable(u.id)]


def _working_as(request: Request, account: Account) -> User | None:
    """The agent the person works as: the cookie's choice, else the first admin."""
    staff = _staff(account)
    chosen = request.cookies.get(AGENT_COOKIE, "")
    found = next((u for u in staff if str(u.id) == chosen), None)
    return found or next((u for u in staff if u.role == "admin"), staff[0] if staff else None)


def _notice(request: Request, actor: User | None) -> str | None:
    """The message a redirect after a change asked for: only fixed texts and a ticket id."""
    template = NOTICES.get(request.query_params.get("notice", ""))
    ticket = request.query_params.get("ticket", "")
    if template is None or (ticket and not re.fullmatch(r"[0-9]{1,12}", ticket)):
        return None
    return template.format(ticket=ticket, agent=actor.name if actor else "nobody")


def _problems(error: ZendeskApiError) -> list[str]:
    """The messages of an API error, as the API's 422 details name them."""
    if isinstance(error, RecordInvalid):
        details: dict[str, list[dict[str, str]]] = error.body["details"]
        return [item["description"] for items in details.values() for item in items]
    return [str(error.body.get("description") or error.body.get("error") or "refused")]


class AgentPages:
    """The page's routes, sharing one CSRF key."""

    def __init__(self) -> None:
        self.csrf = CsrfGuard()

    def routes(self) -> list[Route]:
        """Every route of the agent page."""
        return [
            Route(HOME, self.home, methods=["GET"]),  # the account's home: its agent page
            Route(AGENT_PREFIX, self.home, methods=["GET"]),
            Route(AGENT_PREFIX + "/tasks", self.list_page, methods=["GET"]),
            Route(AGENT_PREFIX + "/tasks", self.create, methods=["POST"]),
            Route(AGENT_PREFIX + "/working-as", self.working_as, methods=["POST"]),
            Route(AGENT_PREFIX + "/tickets/{ticket_id:int}", self.ticket_page, methods=["GET"]),
            Route(AGENT_PREFIX + "/tickets/{ticket_id:int}", self.update, methods=["POST"]),
            Route(
                AGENT_PREFIX + "/tickets/{ticket_id:int}/delete", self.delete, methods=["POST"]
            ),
        ]

    # --- rendering -----------------------------------------------------------------------
    def _render(
        self, request: Request, template: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        account = account_of(request)
        nonce = self.csrf.nonce(request) or secrets.token_urlsafe(24)
        actor = _working_as(request, account)
        html = _TEMPLATES.get_template(template).render(
            base=base_url(request),
            subdomain=account.config.subdomain,
            csrf_token=self.csrf.token(nonce),
            actor=actor,
            staff=_staff(account),
            notice=_notice(request, actor),
            **context,
        )
        response = HTMLResponse(html, status_code)
        response.headers["Cache-Control"] = "no-store"
        if self.csrf.nonce(request) != nonce:
            _set_cookie(response, request, CSRF_COOKIE, nonce)
        return response

    def _problem(self, request: Request, status_code: int, message: str) -> HTMLResponse:
        return self._render(request, "agent_problem.html", status_code, message=message)

    def _redirect(self, request: Request, path: str) -> RedirectResponse:
        return RedirectResponse(base_url(request) + path, status_code=303)

    async def _checked_form(self, request: Request) -> FormData | None:
        form = await request.form()
        return form if self.csrf.accepts(request, form) else None

    def _list(
        self, request: Request, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        account = account_of(request)
        every_type = request.query_params.get("all") == "1"
        live = [
            t for t in account.tickets.tickets.values()
            if t.deleted_at is None and (every_type or t.type == "task")
        ]
        return self._render(
            request, "agent_tasks.html", status_code,
            rows=[_row(t, account) for t in live[-LIST_LIMIT:]],
            hidden=max(0, len(live) - LIST_LIMIT),
            every_type=every_type,
            types=TICKET_TYPES,
            statuses=EDITABLE_STATUSES,
            **{"form": TicketForm(), "problems": [], **context},
        )

    def _ticket(
        self, request: Request, ticket: Ticket, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        account = account_of(request)
        statuses = ("new", *EDITABLE_STATUSES) if ticket.status == "new" else EDITABLE_STATUSES
        staff = _staff(account)
        if ticket.assignee_id is not None and all(u.id != ticket.assignee_id for u in staff):
            context.setdefault("former_assignee", ticket.assignee_id)
        deliveries = [r for r in account.deliverer.records if r.ticket_id == ticket.id]
        return self._render(
            request, "agent_ticket.html", status_code,
            ticket=ticket,
            row=_row(ticket, account),
            types=TICKET_TYPES,
            statuses=statuses,
            deliveries=deliveries[-10:][::-1],
            **{"form": TicketForm.of(ticket), "problems": [], **context},
        )

    # --- endpoints -----------------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        return RedirectResponse(base_url(request) + AGENT_PREFIX + "/tasks", status_code=302)

    async def list_page(self, request: Request) -> Response:
        return self._list(request)

    async def create(self, request: Request) -> Response:
        form = await self._checked_form(request)
        if form is None:
            return self._stale_form(request)
        account = account_of(request)
        values = TicketForm.submitted(form)
        actor = _working_as(request, account)
        try:
            change = account.create_ticket(values.create_payload(), actor.id if actor else None)
        except ZendeskApiError as exc:
            return self._list(request, 422, form=values, problems=_problems(exc))
        return self._redirect(
            request, f"{AGENT_PREFIX}/tickets/{change.after.id}?notice=created&ticket="
            f"{change.after.id}",
        )

    async def ticket_page(self, request: Request) -> Response:
        ticket = account_of(request).tickets.tickets.get(request.path_params["ticket_id"])
        if ticket is None or ticket.deleted_at is not None:
            return self._problem(request, 404, NO_SUCH_TICKET)
        return self._ticket(request, ticket)

    async def update(self, request: Request) -> Response:
        form = await self._checked_form(request)
        if form is None:
            return self._stale_form(request)
        account = account_of(request)
        ticket_id: int = request.path_params["ticket_id"]
        ticket = account.tickets.tickets.get(ticket_id)
        if ticket is None or ticket.deleted_at is not None:
            return self._problem(request, 404, NO_SUCH_TICKET)
        values = TicketForm.submitted(form)
        actor = _working_as(request, account)
        try:
            payload = values.update_payload(ticket)
            if payload:
                account.update_ticket(ticket_id, payload, actor.id if actor else None)
        except ZendeskApiError as exc:
            return self._ticket(request, ticket, 422, form=values, problems=_problems(exc))
        notice = "saved" if payload else "unchanged"
        return self._redirect(request, f"{AGENT_PREFIX}/tickets/{ticket_id}?notice={notice}")

    async def delete(self, request: Request) -> Response:
        form = await self._checked_form(request)
        if form is None:
            return self._stale_form(request)
        account = account_of(request)
        ticket_id: int = request.path_params["ticket_id"]
        actor = _working_as(request, account)
        try:
            account.delete_ticket(ticket_id, actor.id if actor else None)
        except RecordNotFound:
            return self._problem(request, 404, NO_SUCH_TICKET)
        return self._redirect(request, f"{AGENT_PREFIX}/tasks?notice=deleted&ticket={ticket_id}")

    async def working_as(self, request: Request) -> Response:
        form = await self._checked_form(request)
        if form is None:
            return self._stale_form(request)
        account = account_of(request)
        chosen = form.get("user_id")
        user = next((u for u in _staff(account) if str(u.id) == chosen), None)
        if user is None:
            return self._problem(request, 422, "Pick an agent or admin of this account.")
        response = self._redirect(request, f"{AGENT_PREFIX}/tasks?notice=switched")
        _set_cookie(response, request, AGENT_COOKIE, str(user.id))
        return response

    def _stale_form(self, request: Request) -> HTMLResponse:
        return self._problem(
            request, 403,
            "This form is out of date or did not come from this page: nothing was changed. "
            "Reload the page and try again.",
        )


def _row(ticket: Ticket, account: Account) -> dict[str, Any]:
    """A ticket as the list and the edit page show it."""
    assignee = account.users.by_id.get(ticket.assignee_id or -1)
    return {
        "id": ticket.id,
        "subject": ticket.subject or "(no subject)",
        "type": ticket.type or "none",
        "status": ticket.status,
        "assignee": assignee.name if assignee else "unassigned",
        "due_at": None if ticket.due_at is None else iso_z(ticket.due_at),
        "updated_at": iso_z(ticket.updated_at),
    }
