"""Thin Lambda entry points: parse the event, call the core, shape the response.

Each module's ``ENVIRONMENT`` names the variables that function reads; Terraform must set exactly
those (checked by ``tests/infra``).
"""
