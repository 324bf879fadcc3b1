"""zdcal inside Zendesk: the pages of the Zendesk app (ticket sidebar, the agent's
settings) and the small API their JavaScript calls. See docs/zendesk-app.md."""
