"""zdcal: keeps Zendesk task tickets in each assigned agent's calendar."""

__version__ = "0.1.0"
