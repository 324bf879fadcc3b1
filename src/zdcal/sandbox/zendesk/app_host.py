"""The agent interface's frame around an installed app, as Zendesk serves it: it loads
the app's location URL in an iframe with a POST carrying the signed-URL JWT (form field
``token``), appends ``origin`` and ``app_guid`` to the URL, and answers the ZAF SDK over
postMessage (the handshake, ``get`` of ``ticket.id`` and ``currentUser``, ``invoke``).

``GET /agent/apps/{installation_id}?location=ticket_sidebar&ticket_id=1&user_id=1002``;
tests open it from ``localhost`` so that the app (on ``127.0.0.1``) is another site.
"""

from __future__ import annotations

import json
import uuid
from html import escape
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from zdcal.sandbox.zendesk.errors import BadRequest, RecordNotFound
from zdcal.sandbox.zendesk.http_common import account_of, base_url

# The host's side of the ZAF wire protocol (/work/shared/api/zendesk-apps.md): JSON
# strings both ways, sent to the app's origin only, and only the app frame's messages read.
HOST_SCRIPT = """
const setup = JSON.parse(document.getElementById("setup").textContent);
const frame = document.getElementById("app");
const appOrigin = new URL(setup.url).origin;
window.zafLog = [];
window.addEventListener("message", (event) => {
  if (event.source !== frame.contentWindow || event.origin !== appOrigin) { return; }
  let data; try { data = JSON.parse(event.data); } catch (e) { return; }
  window.zafLog.push(data);
  const reply = (message) => frame.contentWindow.postMessage(JSON.stringify(message), appOrigin);
  if (data.key === "iframe.handshake") {
    reply({key: "zaf.app.registered", message: {context: setup.context, metadata: setup.metadata}});
  } else if (data.request === "get") {
    const result = {errors: {}};
    for (const path of data.params) {
      if (path in setup.values) { result[path] = setup.values[path]; }
      else { result.errors[path] = {name: "Error", message: "no such path", path: path}; }
    }
    reply({id: data.id, result: result});
  } else if (data.request === "invoke" || data.request === "set") {
    if (data.params && data.params.resize) {
      frame.style.height = data.params.resize[0].height || frame.style.height;
    }
    reply({id: data.id, result: {errors: {}}});
  }
});
fetch(setup.mint, {method: "POST", headers: {"Content-Type": "application/json"},
                   body: JSON.stringify({user_id: setup.user_id, location: setup.location})})
  .then((r) => r.json()).then((answer) => {
    document.getElementById("token").value = answer.token;
    document.getElementById("launch").submit();
  });
"""


async def app_host_page(request: Request) -> Response:
    account = account_of(request)
    installation = account.apps.installations.get(int(request.path_params["installation_id"]))
    if installation is None:
        raise RecordNotFound()
    location = request.query_params.get("location", "ticket_sidebar")
    url = installation.locations.get(location)
    user = account.users.by_id.get(int(request.query_params.get("user_id") or 0))
    if url is None or user is None:
        raise BadRequest("invalid", "the app has no such location, or no such user")
    guid = str(uuid.uuid4())
    origin = f"{request.url.scheme}://{request.url.netloc}"
    ticket_id = int(request.query_params.get("ticket_id") or 0) or None
    current_user = {"id": user.id, "name": user.name, "email": user.email,
                    "role": user.role, "locale": "en-US", "timeZone": {"ianaName": "Etc/UTC"}}
    setup = {
        "url": url, "location": location, "user_id": user.id,
        "mint": f"{base_url(request)}/_sandbox/apps/installations/{installation.id}/signed_token",
        "context": {"instanceGuid": guid, "product": "support", "location": location,
                    "account": {"subdomain": account.config.subdomain}, "ticketId": ticket_id},
        "metadata": {"appId": installation.app_id, "installationId": installation.id,
                     "name": "app", "settings": installation.settings},
        "values": {"ticket.id": ticket_id, "currentUser": current_user},
    }
    src = f"{url}?{urlencode({'origin': origin, 'app_guid': guid})}"
    height = "640px" if location == "nav_bar" else "360px"
    # "<" escaped as \u003c: the JSON cannot close the script element it sits in.
    setup_json = json.dumps(setup).replace("<", "\\u003c")
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Zendesk (simulated) · app</title>
<style>body {{ margin: 0; font: 14px sans-serif; }} header {{ padding: 8px; background: #03363d;
color: #fff; }} iframe {{ border: 0; width: 100%; height: {height}; display: block; }}</style>
</head><body><header>Simulated Zendesk · {escape(location)}</header>
<form id="launch" method="post" action="{escape(src)}" target="app">
<input type="hidden" name="token" id="token"></form>
<iframe name="app" id="app" title="app"></iframe>
<script type="application/json" id="setup">{setup_json}</script>
<script>{HOST_SCRIPT}</script></body></html>"""
    return HTMLResponse(html)
