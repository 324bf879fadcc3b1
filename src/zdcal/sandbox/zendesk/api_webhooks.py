"""Routes of the Webhooks API and of triggers and trigger categories (admin only)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zdcal.sandbox.zendesk.errors import BadRequest, WebhookApiError
from zdcal.sandbox.zendesk.http_common import (
    account_of,
    base_url,
    json_body,
    json_response,
    no_content,
    principal,
    routes,
)
from zdcal.sandbox.zendesk.pagination import (
    InvalidCursor,
    requested_cursor_page,
    support_list,
    webhooks_cursor_body,
)
from zdcal.sandbox.zendesk.triggers import category_json, trigger_json
from zdcal.sandbox.zendesk.webhooks import (
    new_signing_secret,
    validated_webhook_fields,
    webhook_json,
)

ADMIN = ("admin",)


async def create_webhook(request: Request) -> Response:
    caller = principal(request, "webhooks", write=True, roles=ADMIN)
    account = account_of(request)
    fields = validated_webhook_fields(await json_body(request), mode="create")
    webhook = account.webhooks.create(fields, caller.user.id, account.now())
    return json_response({"webhook": webhook_json(webhook)}, 201)


async def list_webhooks(request: Request) -> Response:
    principal(request, "webhooks", write=False, roles=ADMIN)
    needle = request.query_params.get("filter[name_contains]", "").lower()
    # ULIDs sort by creation time: the list is in creation order.
    found = sorted(
        (w for w in account_of(request).webhooks.by_id.values() if needle in w.name.lower()),
        key=lambda w: w.id,
    )
    try:
        page = requested_cursor_page(request, found, lambda w: (w.id,))
    except InvalidCursor as exc:
        raise WebhookApiError(400, "InvalidPaginationParameter", "page cursor is invalid") from exc
    return json_response(webhooks_cursor_body(request, "webhooks", page.rendered(webhook_json)))


async def show_webhook(request: Request) -> Response:
    principal(request, "webhooks", write=False, roles=ADMIN)
    webhook = account_of(request).webhooks.get(request.path_params["webhook_id"])
    return json_response({"webhook": webhook_json(webhook)})


async def change_webhook(request: Request) -> Response:
    caller = principal(request, "webhooks", write=True, roles=ADMIN)
    account = account_of(request)
    webhook = account.webhooks.get(request.path_params["webhook_id"])
    mode = "patch" if request.method == "PATCH" else "replace"
    fields = validated_webhook_fields(await json_body(request), mode=mode)
    account.webhooks.update(webhook, fields, caller.user.id, account.now())
    return no_content()


async def delete_webhook(request: Request) -> Response:
    principal(request, "webhooks", write=True, roles=ADMIN)
    account = account_of(request)
    webhook = account.webhooks.get(request.path_params["webhook_id"])
    del account.webhooks.by_id[webhook.id]
    return no_content()


async def signing_secret(request: Request) -> Response:
    write = request.method == "POST"
    principal(request, "webhooks", write=write, roles=ADMIN)
    webhook = account_of(request).webhooks.get(request.path_params["webhook_id"])
    if write:
        webhook.signing_secret = new_signing_secret()
    body = {"signing_secret": {"secret": webhook.signing_secret, "algorithm": "SHA256"}}
    return json_response(body, 201 if write else 200)


async def list_categories(request: Request) -> Response:
    principal(request, "triggers", write=False, roles=ADMIN)
    categories = sorted(
        account_of(request).triggers.categories.values(), key=lambda c: (c.position, c.id)
    )
    return support_list(
        request,
        "trigger_categories",
        categories,
        lambda c: (c.position, c.id),
        category_json,
        lambda: WebhookApiError(400, "InvalidPaginationParameter", "page[after] is not valid"),
    )


async def create_category(request: Request) -> Response:
    principal(request, "triggers", write=True, roles=ADMIN)
    account = account_of(request)
    category = account.triggers.add_category(await json_body(request), account.now())
    return json_response({"trigger_category": category_json(category)}, 200)


async def list_triggers(request: Request) -> Response:
    principal(request, "triggers", write=False, roles=ADMIN)
    book = account_of(request).triggers
    url = base_url(request)
    ordered = sorted(book.triggers.values(), key=lambda t: (t.position, t.id))
    wanted_active = request.query_params.get("active")
    if wanted_active is not None:
        ordered = [t for t in ordered if t.active == (wanted_active.lower() == "true")]
    wanted_category = request.query_params.get("category_id")
    if wanted_category is not None:
        ordered = [t for t in ordered if t.category_id == wanted_category]
    return support_list(
        request,
        "triggers",
        ordered,
        lambda t: (t.position, t.id),
        lambda t: trigger_json(t, url),
        lambda: BadRequest("InvalidPaginationParameter", "page[after] is not valid"),
    )


async def create_trigger(request: Request) -> Response:
    principal(request, "triggers", write=True, roles=ADMIN)
    account = account_of(request)
    trigger = account.triggers.create(await json_body(request), account.now())
    return json_response({"trigger": trigger_json(trigger, base_url(request))}, 201)


async def show_trigger(request: Request) -> Response:
    principal(request, "triggers", write=False, roles=ADMIN)
    trigger = account_of(request).triggers.get(request.path_params["trigger_id"])
    return json_response({"trigger": trigger_json(trigger, base_url(request))})


async def update_trigger(request: Request) -> Response:
    principal(request, "triggers", write=True, roles=ADMIN)
    account = account_of(request)
    trigger = account.triggers.update(
        request.path_params["trigger_id"], await json_body(request), account.now()
    )
    return json_response({"trigger": trigger_json(trigger, base_url(request))})


async def delete_trigger(request: Request) -> Response:
    principal(request, "triggers", write=True, roles=ADMIN)
    book = account_of(request).triggers
    trigger = book.get(request.path_params["trigger_id"])
    del book.triggers[trigger.id]
    return no_content()


def automation_routes() -> list[Route]:
    """Webhook, trigger and trigger category routes."""
    hook = "/api/v2/webhooks/{webhook_id}"
    trig = "/api/v2/triggers/{trigger_id:int}"
    return [
        Route("/api/v2/webhooks", create_webhook, methods=["POST"]),
        Route("/api/v2/webhooks", list_webhooks, methods=["GET"]),
        Route(hook + "/signing_secret", signing_secret, methods=["GET", "POST"]),
        Route(hook, show_webhook, methods=["GET"]),
        Route(hook, change_webhook, methods=["PUT", "PATCH"]),
        Route(hook, delete_webhook, methods=["DELETE"]),
        *routes("/api/v2/trigger_categories", list_categories, ["GET"]),
        *routes("/api/v2/trigger_categories", create_category, ["POST"]),
        *routes("/api/v2/triggers", list_triggers, ["GET"]),
        *routes("/api/v2/triggers", create_trigger, ["POST"]),
        *routes(trig, show_trigger, ["GET"]),
        *routes(trig, update_trigger, ["PUT"]),
        *routes(trig, delete_trigger, ["DELETE"]),
    ]
