"""The live service: webhook intake, the worker, the scheduler and bootstrap in Zendesk."""
