"""Upstream files the tests check the stacks against (CRD schemas, chart values)."""
