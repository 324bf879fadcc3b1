"""The ASGI app: webhook receivers, health and metrics, agent and admin pages."""
