"""Rego engines: embedded (regorus, regopy) and an OPA server."""
