"""Asynchronous messaging: typed events, the broker, and the handlers of this service."""
