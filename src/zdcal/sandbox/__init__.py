"""Faithful local simulators of Zendesk Support and Cronofy (ASGI apps) and their runner.

See docs/sandbox.md for the credentials, the scenario format and the control API.
"""
