"""Calls to other services: the outbound client (`client.py`) and the resilience policies
chosen for this service, one module each, composed by the client in one fixed order."""
